/* state.c: what the stub remembers: the nonces it issued, the accounts, the one order. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stub.h"

#define MAX_NONCES 65536
#define MAX_ACCOUNTS 8

static pthread_mutex_t nonce_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char used[MAX_NONCES];
static unsigned issued;
static stub_account accounts[MAX_ACCOUNTS];
static size_t n_accounts;
stub_order order;

double stub_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *nonce_new(void)
{
    char *n = malloc(32);
    unsigned k;

    if (n == NULL)
        return NULL;
    pthread_mutex_lock(&nonce_lock);
    k = issued < MAX_NONCES ? issued++ : MAX_NONCES - 1;
    pthread_mutex_unlock(&nonce_lock);
    snprintf(n, 32, "stubNonce-%u", k);
    return n;
}

int nonce_take(const char *n)
{
    unsigned long k;
    char *end;
    int ok = 0;

    if (strncmp(n, "stubNonce-", 10) != 0)
        return 0;
    k = strtoul(n + 10, &end, 10);
    if (*end != '\0')
        return 0;
    pthread_mutex_lock(&nonce_lock);
    if (k < issued && k < MAX_NONCES - 1 && !used[k]) {
        used[k] = 1;
        ok = 1;
    }
    pthread_mutex_unlock(&nonce_lock);
    return ok;
}

stub_account *account_add(const char *kid, EVP_PKEY *key, const char *thumb)
{
    stub_account *a;

    if (n_accounts == MAX_ACCOUNTS)
        return NULL;
    a = &accounts[n_accounts++];
    a->kid = strdup(kid);
    a->thumb = strdup(thumb);
    EVP_PKEY_up_ref(key);
    a->key = key;
    return a;
}

stub_account *account_by_kid(const char *kid)
{
    size_t i;

    for (i = 0; i < n_accounts; i++)
        if (strcmp(accounts[i].kid, kid) == 0)
            return &accounts[i];
    return NULL;
}

stub_account *account_by_thumb(const char *thumb)
{
    size_t i;

    for (i = 0; i < n_accounts; i++)
        if (strcmp(accounts[i].thumb, thumb) == 0)
            return &accounts[i];
    return NULL;
}

void state_free(void)
{
    size_t i;

    for (i = 0; i < n_accounts; i++) {
        free(accounts[i].kid);
        free(accounts[i].thumb);
        EVP_PKEY_free(accounts[i].key);
    }
    n_accounts = 0;
    free(order.pem);
    memset(&order, 0, sizeof(order));
}
