int f6(int x) { return x * 6 + 1; }
