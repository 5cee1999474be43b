#!/usr/bin/python3
"""The two `specwatch alerts` listings of schema 10 and 11 on a history of many
small runs, the case BM_ListAlerts (5 large batches) does not cover: 50,000
batches of 10 alerts (one run each in alert_runs), 100 common rules and one
rare rule with 5 alerts in the oldest batches. The SQL is that of
alerts.cpp's list_alerts before schema 11 (alerts_by_created) and after it
(alert_runs walked newest first, each run by id), run with Python's sqlite3
on 16 KiB pages; every listing is checked to give the same ids both ways.
Prints the CPU time of each listing. A model of the statements, not the C++
code: the per-run statement costs more from Python than from C++.

Usage: bench/alert_runs_listing.py
"""
import sqlite3, time, random, os
import tempfile
p=os.path.join(tempfile.mkdtemp(), 'runs.db')
if os.path.exists(p): os.remove(p)
db=sqlite3.connect(p)
db.executescript("""
PRAGMA page_size=16384; PRAGMA journal_mode=WAL;
CREATE TABLE alerts(id INTEGER PRIMARY KEY, rule TEXT NOT NULL, item_key INTEGER NOT NULL, change INTEGER NOT NULL DEFAULT 0, link_key TEXT, created INTEGER NOT NULL, state TEXT, UNIQUE(rule,item_key,change));
CREATE INDEX alerts_by_created ON alerts(created);
CREATE TABLE alert_runs(first_id INTEGER PRIMARY KEY, last_id INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE INDEX alert_runs_by_created ON alert_runs(created, first_id);
""")
rng=random.Random(1)
aid=0; t=1_000_000
rows=[]; runs=[]
for r in range(50000):
    n=10; first=aid+1
    for k in range(n):
        aid+=1
        rule = 'rare' if (r<5 and k==0) else f'rule{rng.randrange(100)}'
        rows.append((aid,rule,aid,0,'',t,'nomail'))
    runs.append((first,aid,t)); t+=60
db.executemany("INSERT INTO alerts VALUES(?,?,?,?,?,?,?)",rows)
db.executemany("INSERT INTO alert_runs VALUES(?,?,?)",runs)
db.commit()
def old(rule,since,limit):
    return db.execute("SELECT a.id FROM alerts a WHERE a.created >= ? AND (?2 = '' OR a.rule = ?2) ORDER BY a.created DESC, a.id DESC LIMIT ?3",(since,rule,limit)).fetchall()
def new(rule,since,limit):
    out=[]
    for f,l in db.execute("SELECT first_id,last_id FROM alert_runs WHERE created >= ? ORDER BY created DESC, first_id DESC",(since,)):
        out+=db.execute("SELECT a.id FROM alerts a WHERE a.id BETWEEN ? AND ? AND (?3 = '' OR a.rule = ?3) ORDER BY a.id DESC LIMIT ?4",(f,l,rule,limit-len(out))).fetchall()
        if len(out)>=limit: break
    return out
for name,args in [("newest 50",('',0,50)),("--rule rare (5 oldest)",('rare',0,50)),("--rule rule7",('rule7',0,50)),("--since last day, rule rare",('rare',t-86400,50))]:
    for f in (old,new):
        t0=time.process_time(); r=f(*args); dt=time.process_time()-t0
        print(f"{name:30} {f.__name__}: {dt*1000:8.1f} ms CPU, {len(r)} rows")
    assert old(*args)==new(*args)
db.close()
import shutil
shutil.rmtree(os.path.dirname(p))
