int f3(int x) { return x * 3 + 1; }
