/*
 * The baseline for a round trip through libvirt: a C loop over
 * virDomainQemuMonitorCommand, linked against libvirt directly, with
 * libvirt's default event loop registered (as qmpbook's engine has it, for
 * events and close callbacks) and nothing else.
 *
 *   raw_libvirt URI DOMAIN COUNT
 *
 * Prints one JSON object: ops/s, p50, p99 and mean of the round trips.
 */
#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void *event_loop(void *unused) {
    (void)unused;
    for (;;) virEventRunDefaultImpl();
    return NULL;
}

static void quiet(void *data, virErrorPtr error) { (void)data; (void)error; }

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: raw_libvirt URI DOMAIN COUNT\n");
        return 2;
    }
    int count = atoi(argv[3]);
    virSetErrorFunc(NULL, quiet);
    virEventRegisterDefaultImpl();
    pthread_t loop;
    pthread_create(&loop, NULL, event_loop, NULL);
    virConnectPtr connection = virConnectOpen(argv[1]);
    if (!connection) { fprintf(stderr, "virConnectOpen: %s\n", virGetLastErrorMessage()); return 1; }
    virDomainPtr domain = virDomainLookupByName(connection, argv[2]);
    if (!domain) { fprintf(stderr, "virDomainLookupByName: %s\n", virGetLastErrorMessage()); return 1; }
    uint64_t *samples = calloc((size_t)count, sizeof *samples);
    uint64_t total = 0;
    for (int i = 0; i < count; i++) {
        char *reply = NULL;
        uint64_t start = now_ns();
        if (virDomainQemuMonitorCommand(domain, "{\"execute\":\"query-status\"}", &reply, 0) != 0 || !strstr(reply, "\"return\"")) {
            fprintf(stderr, "virDomainQemuMonitorCommand: %s\n", virGetLastErrorMessage());
            return 1;
        }
        samples[i] = now_ns() - start;
        total += samples[i];
        free(reply);
    }
    qsort(samples, (size_t)count, sizeof *samples, compare);
    double seconds = (double)total / 1e9;
    printf("{\"client\":\"c-libvirt\",\"workload\":\"roundtrip\",\"count\":%d,\"seconds\":%f,\"ops_per_sec\":%f,"
           "\"p50_us\":%f,\"p99_us\":%f,\"mean_us\":%f}\n",
           count, seconds, count / seconds, samples[count / 2] / 1e3, samples[(int)(count * 0.99)] / 1e3,
           total / 1e3 / count);
    virDomainFree(domain);
    virConnectClose(connection);
    return 0;
}
