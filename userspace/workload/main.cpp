#include "workload_app.hpp"

int main(int argc, char** argv) { return cowprobe::workload::workload_main(argc, argv); }
