#include "daemon/daemon.h"

int main(int argc, char** argv) {
    return specwatch::daemon::main(argc, argv);
}
