int f7(int x) { return x * 7 + 1; }
