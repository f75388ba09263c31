#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
long get_rss_kb(void)
{
FILE *f = fopen("/proc/self/status", "r");
if (!f) return -1;
char line[128];
long rss = -1;
while (fgets(line, sizeof(line), f)) {
if (strncmp(line, "VmRSS", 5) == 0) {
sscanf(line + 6, "%ld", &rss);
break;
}
}
fclose(f);
return rss;
}
int main(void)
{
size_t SIZE = 50 * 1024 * 1024; /* 50 MB */
char *buf = malloc(SIZE);
memset(buf, 'X', SIZE); /* actually allocate physical pages */
printf("[Parent before fork] RSS = %ld KB\n", get_rss_kb());
pid_t pid = fork();
if (pid == -1) { perror("fork"); exit(1); }
if (pid == 0) {
printf("[Child after fork, no write] RSS = %ld KB\n",
get_rss_kb());
/* Now write to all pages: triggers CoW */
memset(buf, 'Y', SIZE);
printf("[Child after write, CoW done] RSS = %ld KB\n",
get_rss_kb());
free(buf);
_exit(0);
}
wait(NULL);
printf("[Parent after child] RSS = %ld KB\n", get_rss_kb());
free(buf);
return 0;
}
