/* SPDX-License-Identifier: Apache-2.0 */
#include "cleanup.h"
#include "containers.h"

DEFINE_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize)

int storage_container_delete(struct storage *s, const char *id, struct ctr_error **err)
{
    cleanup_with(sqlite3_finalizep) sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(s->db, "DELETE FROM containers WHERE id = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return storage_sqlite_error(err, s->db, "prepare a query");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return storage_sqlite_error(err, s->db, "remove container '%s'", id);
    return sqlite3_changes(s->db) > 0;
}
