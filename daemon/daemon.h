#pragma once
namespace specwatch::daemon {
// specwatchd's command line (CONTRACT.md): service mode, --once,
// --check-config, --version. Returns the process exit code.
int main(int argc, char** argv);
}  // namespace specwatch::daemon
