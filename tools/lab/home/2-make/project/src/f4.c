int f4(int x) { return x * 4 + 1; }
