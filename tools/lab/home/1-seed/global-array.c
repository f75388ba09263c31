#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#define ARRAY_SIZE (1024 * 1024) /* 1M integers = 4 MB */
/* Global array: lives in data/BSS segment */
static int big_array[ARRAY_SIZE];
int main(void)
{
/* Initialize: this touches all pages */
for (int i = 0; i < ARRAY_SIZE; i++)
big_array[i] = i;
printf("[Before fork] big_array[0]=%d, big_array[last]=%d\n",
big_array[0], big_array[ARRAY_SIZE-1]);
pid_t pid = fork();
if (pid == -1) { perror("fork"); exit(1); }
if (pid == 0) {
/* Child modifies ONLY first 10 elements */
/* This triggers CoW for just the FIRST page */
for (int i = 0; i < 10; i++)
big_array[i] = -1; /* CoW: first page copied */
printf("[Child ] big_array[0]=%d (modified)\n",
big_array[0]);
printf("[Child ] big_array[1000]=%d (still shared)\n",
big_array[1000]);
_exit(0);
}
wait(NULL);
/* Parent's array unchanged */
printf("[Parent] big_array[0]=%d (unchanged by child)\n",
big_array[0]);
printf("[Parent] big_array[1000]=%d\n", big_array[1000]);
return 0;
}
