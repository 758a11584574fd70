#include <stdio.h>
#include <string.h>

char zeroes[100000];
static double scratch[512];
int initialised = 7;
static const int primes[] = {2, 3, 5, 7, 11, 13};
int *const pointer_to_data = &initialised;
const int *pointers[] = {&primes[0], &primes[2], &primes[5]};
struct node
{
    const char *label;
    struct node *next;
};
static struct node third = {"third", 0};
static struct node second = {"second", &third};
struct node head = {"first", &second};

int main(void)
{
    size_t nonzero = 0;
    for (size_t i = 0; i < sizeof zeroes; i++)
    {
        nonzero += zeroes[i] != 0;
    }
    memset(zeroes, 'x', 10);
    scratch[511] = 2.5;
    *pointer_to_data += 1;
    printf("nonzero=%zu after=%.10s scratch=%.1f initialised=%d\n", nonzero, zeroes, scratch[511], initialised);
    printf("primes %d %d %d\n", *pointers[0], *pointers[1], *pointers[2]);
    for (struct node *n = &head; n; n = n->next)
    {
        printf("%s%s", n->label, n->next ? " -> " : "\n");
    }
    return 0;
}
