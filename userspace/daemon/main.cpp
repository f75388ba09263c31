#include "daemon_options.hpp"

int main(int argc, char** argv) { return cowprobe::daemon::daemon_main(argc, argv); }
