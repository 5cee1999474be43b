"""Participation end to end: specwatchd polls a 3GPP TDoc list (XLSX) and a
datatracker doc.json over loopback HTTP, and `specwatch participation` counts
contributions per organization and country against the previous period."""
import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FIXTURES, SPECWATCH, Daemon, FeedServer, TempDirTest  # noqa: E402

SHIPPED = FIXTURES.parent.parent / "config" / "specwatch.toml"

# The fixture's contributions are dated February 2026 and February 2025. The
# period from 2026-01-01 to now holds the 2026 ones for good, and its previous
# period (as long again, before it) reaches back past 2025-02-17 from
# 2026-11-14 on, so the counts do not age.
SINCE = "2026-01-01"


class Participation(TempDirTest):
    def setUp(self):
        super().setUp()
        root = self.tmp / "www"
        root.mkdir()
        shutil.copy(FIXTURES / "xlsx" / "tdoc_list.xlsx", root / "TDoc_List_Meeting_RAN1.xlsx")
        shutil.copy(FIXTURES / "json" / "datatracker_doc.json", root / "doc.json")
        self.root = root
        self.server = FeedServer(root)
        self.addCleanup(self.server.stop)
        (self.tmp / "state").mkdir()
        config = f'''
[[source]]
name = "3gpp-ran1-tdocs"
body = "3GPP"
group = "3GPP RAN1"
url = "{self.server.url("TDoc_List_Meeting_RAN1.xlsx")}"
format = "xlsx"
allow_private = true
  [source.xlsx]
  id = "Tdoc"
  title = "title"
  organizations = "Source"
  summary = "Agenda item description"
  categories = "Type, TDoc Status"
  published = "Reservation date"

[[source]]
name = "ietf-draft"
body = "IETF"
group = "IETF quic"
url = "{self.server.url("doc.json")}"
format = "json"
allow_private = true
  [source.json]
  items = "."
  id = "name"
  title = "title"
  updated = "time"
  organizations = "authors.*.affiliation"

[[rule]]
name = "ericsson-6g"
query = "6G"
organizations = ["Telefonaktiebolaget LM Ericsson"]
to = ["analyst@example.org"]

[organizations]
"Private Octopus" = {{ country = "US" }}
'''
        self.daemon = Daemon(self.tmp / "state", config)
        self.daemon.start()
        self.addCleanup(self.daemon.stop)
        poll = self.daemon.json("poll")
        self.assertEqual(poll["failed"], 0, poll)

    def orgs(self, result):
        return {o["name"]: (o["count"], o["previous"]) for o in result["organizations"]}

    def test_counts_per_organization_against_the_previous_period(self):
        r = self.daemon.json("participation", "--body", "3GPP", "--since", SINCE)
        orgs = self.orgs(r)
        # Spellings folded: "Huawei Technologies Co., Ltd.", "Huawei Tech" are Huawei.
        self.assertEqual(orgs["Huawei"], (2, 3))
        self.assertEqual(orgs["HiSilicon"], (1, 1))
        self.assertEqual(orgs["Ericsson"], (2, 2))  # "Ericsson LM", "Telefonaktiebolaget LM Ericsson"
        self.assertEqual(orgs["Qualcomm"], (2, 0))  # "Moderator (Qualcomm)", "Qualcomm Incorporated"
        self.assertEqual(orgs["Nokia"], (1, 0))
        self.assertEqual(orgs["Nokia Shanghai Bell"], (1, 0))
        self.assertEqual(orgs["Samsung"], (0, 1))
        self.assertNotIn("Alibaba", orgs)  # --body 3GPP
        self.assertEqual(r["items"], 9)
        self.assertEqual(r["previous_items"], 6)
        first = r["organizations"][0]
        self.assertEqual(first["name"], "Huawei")
        self.assertEqual(first["change"], -1)
        self.assertEqual(first["country"], "CN")
        countries = {c["country"]: (c["count"], c["previous"]) for c in r["countries"]}
        # Items naming a Chinese organization: R1-2600101/102/200/300, and 3 a year before.
        self.assertEqual(countries["CN"], (4, 3))
        self.assertEqual(countries["SE"], (2, 2))

    def test_query_group_and_top_narrow_the_count(self):
        r = self.daemon.json("participation", "--since", SINCE, "--query", "6G", "--top", "2")
        self.assertEqual(len(r["organizations"]), 2)
        r = self.daemon.json("participation", "--since", SINCE, "--query", "6G")
        orgs = self.orgs(r)
        self.assertEqual(orgs["Qualcomm"], (1, 0))  # the NR positioning CR does not match
        self.assertEqual(orgs["Huawei"], (2, 1))  # "Study on 6G requirements" a year before
        r = self.daemon.json("participation", "--since", SINCE, "--group", "IETF quic")
        orgs = self.orgs(r)
        self.assertEqual(set(orgs), {"Alibaba", "Uber Technologies", "UCLouvain",
                                     "Private Octopus", "Ericsson"})
        self.assertEqual(r["organizations"][0]["count"], 1)
        countries = {c["country"] for c in r["countries"]}
        self.assertIn("US", countries)  # from [organizations] in the config

    def test_human_view_is_a_table_with_bars(self):
        out = self.daemon.cli("participation", "--since", SINCE, "--body", "3GPP").stdout.decode()
        lines = out.splitlines()
        self.assertIn("ORGANIZATION", out)
        huawei = next(line for line in lines if line.startswith("Huawei "))
        self.assertIn("█", huawei)
        self.assertRegex(huawei, r"Huawei\s+CN\s+2\s+3\s+-1\s+█")
        qualcomm = next(line for line in lines if line.startswith("Qualcomm "))
        self.assertIn("new", qualcomm)
        # The columns line up: every organization row starts its count column at one place.
        header = next(line for line in lines if line.startswith("ORGANIZATION"))
        self.assertEqual(header.index("ITEMS") + len("ITEMS"),
                         huawei.index(" 2 ") + 2)

    def test_items_carry_normalized_organizations(self):
        items = self.daemon.json("search", "frame structure")
        self.assertEqual(items[0]["organizations"], ["Ericsson"])
        items = self.daemon.json("search", "waveform evaluation")
        self.assertEqual(items[0]["organizations"], ["Huawei"])

    def test_a_rule_on_an_organization_alerts_on_its_contributions_only(self):
        # The first poll is a baseline; a day later the list has two more rows,
        # one by Ericsson (written "Telefonaktiebolaget LM Ericsson", as in the rule).
        self.assertEqual(self.daemon.json("alerts"), [])
        shutil.copy(FIXTURES / "xlsx" / "tdoc_list_later.xlsx",
                    self.root / "TDoc_List_Meeting_RAN1.xlsx")
        poll = self.daemon.json("poll", "3gpp-ran1-tdocs")
        self.assertEqual(poll["results"][0]["new"], 2, poll)
        alerts = self.daemon.json("alerts")
        self.assertEqual([a["title"] for a in alerts], ["6G positioning framework"])
        self.assertEqual(alerts[0]["rule"], "ericsson-6g")

    def test_a_bad_query_or_period_is_a_usage_error(self):
        out = self.daemon.cli("participation", "--query", "AND OR", check=False)
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("invalid query", out.stderr.decode())
        out = self.daemon.cli("participation", "--since", "tomorrow", check=False)
        self.assertEqual(out.returncode, 2, out.stderr)


class ShippedPresets(TempDirTest):
    """The presets of config/specwatch.toml read the fixtures' shapes."""

    def parse(self, source, fixture):
        out = subprocess.run([SPECWATCH, "--json", "parse", "--config", str(SHIPPED), "--source",
                              source, str(fixture)], capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def test_the_tdoc_list_preset_reads_a_tdoc_list(self):
        doc = self.parse("3gpp-ran1-tdocs", FIXTURES / "xlsx" / "tdoc_list.xlsx")
        self.assertEqual(doc["format"], "xlsx")
        self.assertEqual(len(doc["items"]), 15)
        first = doc["items"][0]
        self.assertEqual(first["organizations"], ["Huawei", "HiSilicon"])
        self.assertEqual(first["author"], "Wei Li")
        self.assertIn("available", first["categories"])

    def test_the_datatracker_preset_reads_authors_affiliations(self):
        doc = self.parse("ietf-draft-quic-multipath", FIXTURES / "json" / "datatracker_doc.json")
        [item] = doc["items"]
        self.assertEqual(item["id"], "draft-ietf-quic-multipath")
        self.assertEqual(item["organizations"], ["Alibaba", "Uber Technologies", "UCLouvain",
                                                 "Private Octopus", "Ericsson"])
        self.assertEqual(item["updated"], "2026-03-03T09:12:44Z")


if __name__ == "__main__":
    unittest.main()
