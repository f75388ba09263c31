int f2(int x) { return x * 2 + 1; }
