/* A reference point for bench/fleet, not part of `app`: the least any tool can do
 * to read something from each database of a fleet. It opens one connection to
 * each DSN read from stdin (one per line), runs `SELECT 1` and closes it, with
 * THREADS threads at a time. Every database then costs the server one backend
 * start; `app migrate status --targets` over the same fleet cannot cost less.
 *
 *   pq_connect_all THREADS < dsns      exit 0 when every database answered
 *
 * Built by bench/fleet: cc -O2 bench/pq_connect_all.c -I$(pg_config --includedir) -lpq -lpthread
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char** dsns;
static size_t count;
static size_t next_index;
static int failures;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

static void* worker(void* unused) {
  (void)unused;
  for (;;) {
    pthread_mutex_lock(&mutex);
    size_t i = next_index++;
    pthread_mutex_unlock(&mutex);
    if (i >= count) return NULL;
    PGconn* conn = PQconnectdb(dsns[i]);
    int ok = PQstatus(conn) == CONNECTION_OK;
    if (ok) {
      PGresult* r = PQexec(conn, "SELECT 1");
      ok = PQresultStatus(r) == PGRES_TUPLES_OK;
      PQclear(r);
    }
    if (!ok) {
      pthread_mutex_lock(&mutex);
      ++failures;
      fprintf(stderr, "pq_connect_all: database %zu: %s", i + 1, PQerrorMessage(conn));
      pthread_mutex_unlock(&mutex);
    }
    PQfinish(conn);
  }
}

int main(int argc, char** argv) {
  int threads = argc == 2 ? atoi(argv[1]) : 0;
  if (threads < 1) {
    fprintf(stderr, "usage: pq_connect_all THREADS < dsns\n");
    return 2;
  }
  size_t cap = 1024;
  dsns = malloc(cap * sizeof *dsns);
  char line[4096];
  while (dsns && fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = '\0';
    if (!line[0]) continue;
    if (count == cap) dsns = realloc(dsns, (cap *= 2) * sizeof *dsns);
    if (dsns) dsns[count++] = strdup(line);
  }
  if (!dsns) return 1;
  pthread_t* pool = malloc((size_t)threads * sizeof *pool);
  for (int t = 0; t < threads; ++t) pthread_create(&pool[t], NULL, worker, NULL);
  for (int t = 0; t < threads; ++t) pthread_join(pool[t], NULL);
  return failures ? 1 : 0;
}
