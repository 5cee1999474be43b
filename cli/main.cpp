#include "cli/cli.h"

int main(int argc, char** argv) {
    return specwatch::cli::run(argc, argv);
}
