#include "app.hpp"

int main(int argc, char** argv) { return cowprobe::cli::cli_main(argc, argv); }
