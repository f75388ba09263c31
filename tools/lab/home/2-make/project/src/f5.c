int f5(int x) { return x * 5 + 1; }
