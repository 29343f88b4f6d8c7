/* A reference point for bench/run, not part of `app`: sends a whole SQL file
 * to PostgreSQL as ONE simple-protocol query (PQexec), the way dbmate sends a
 * migration. The server still parses, plans and runs every statement; only the
 * round trips are gone. So this is the floor for any tool that applies a
 * migration in one round trip.
 *
 *   pq_exec DSN FILE      exit 0 when the server accepted every statement
 *
 * Built by bench/run: cc -O2 bench/pq_exec.c -I$(pg_config --includedir) -lpq
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: pq_exec DSN FILE\n");
    return 2;
  }
  FILE* f = fopen(argv[2], "rb");
  if (!f) {
    perror(argv[2]);
    return 1;
  }
  size_t cap = 1 << 20, size = 0, n;
  char* sql = malloc(cap + 1);
  while (sql && (n = fread(sql + size, 1, cap - size, f)) > 0) {
    size += n;
    if (size == cap) sql = realloc(sql, (cap *= 2) + 1);
  }
  fclose(f);
  if (!sql) return 1;
  sql[size] = '\0';

  PGconn* conn = PQconnectdb(argv[1]);
  if (PQstatus(conn) != CONNECTION_OK) {
    fprintf(stderr, "%s", PQerrorMessage(conn));
    return 1;
  }
  PGresult* res = PQexec(conn, sql);
  ExecStatusType st = PQresultStatus(res);
  int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
  if (!ok) fprintf(stderr, "%s", PQerrorMessage(conn));
  PQclear(res);
  PQfinish(conn);
  free(sql);
  return ok ? 0 : 1;
}
