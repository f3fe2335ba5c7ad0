/* SPDX-License-Identifier: Apache-2.0 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cleanup.h"
#include "container-spec.h"
#include "unit.h"
#include "xalloc.h"

static char **strv(const char *a, const char *b)
{
    char **v = xcalloc(3, sizeof(char *));

    v[0] = xstrdup(a);
    v[1] = b ? xstrdup(b) : NULL;
    return v;
}

TEST(round_trip_keeps_every_field)
{
    struct ctr_spec in = {0}, out = {0};
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *json = NULL;
    cleanup_free char *again = NULL;

    in.argv = strv("sh", "-c");
    in.env = strv("PATH=/bin", "A=b c");
    in.cwd = xstrdup("/srv");
    in.user = xstrdup("www:staff");
    in.hostname = xstrdup("box");
    in.mounts = xcalloc(2, sizeof(*in.mounts));
    in.n_mounts = 2;
    in.mounts[0] = (struct ctr_mount_spec){
            CTR_MOUNT_BIND, xstrdup("/home/u/data"), xstrdup("/data"), 1, NULL, MS_NOSUID};
    in.mounts[1] = (struct ctr_mount_spec){CTR_MOUNT_TMPFS,     NULL,
                                           xstrdup("/scratch"), 0,
                                           xstrdup("size=1m"),  MS_NOEXEC | MS_NODEV};
    in.tty = 1;
    in.interactive = 1;
    in.init = 1;
    in.remove = 1;
    in.stop_signal = SIGUSR1;
    in.stop_timeout = 42;
    in.network = xstrdup("none");
    in.labels = strv("a=1", "b=");
    json = storage_spec_to_json(&in, &err);
    ASSERT_TRUE(json != NULL);
    ASSERT_INT_EQ(storage_spec_from_json(json, &out, &err), 0);
    ASSERT_STR_EQ(out.argv[0], "sh");
    ASSERT_STR_EQ(out.argv[1], "-c");
    ASSERT_TRUE(out.argv[2] == NULL);
    ASSERT_STR_EQ(out.env[1], "A=b c");
    ASSERT_STR_EQ(out.cwd, "/srv");
    ASSERT_STR_EQ(out.user, "www:staff");
    ASSERT_STR_EQ(out.hostname, "box");
    ASSERT_INT_EQ((int)out.n_mounts, 2);
    ASSERT_INT_EQ(out.mounts[0].kind, CTR_MOUNT_BIND);
    ASSERT_STR_EQ(out.mounts[0].source, "/home/u/data");
    ASSERT_INT_EQ(out.mounts[0].readonly, 1);
    ASSERT_INT_EQ((int)out.mounts[0].flags, MS_NOSUID);
    ASSERT_INT_EQ(out.mounts[1].kind, CTR_MOUNT_TMPFS);
    ASSERT_STR_EQ(out.mounts[1].data, "size=1m");
    ASSERT_INT_EQ((int)out.mounts[1].flags, MS_NOEXEC | MS_NODEV);
    ASSERT_INT_EQ(out.tty + out.interactive + out.init + out.remove, 4);
    ASSERT_INT_EQ(out.stop_signal, SIGUSR1);
    ASSERT_INT_EQ((int)out.stop_timeout, 42);
    ASSERT_STR_EQ(out.network, "none");
    ASSERT_STR_EQ(out.labels[1], "b=");
    again = storage_spec_to_json(&out, &err);
    ASSERT_STR_EQ(again, json);
    ctr_spec_clear(&in);
    ctr_spec_clear(&out);
}

TEST(bytes_that_are_not_utf8_are_refused_by_name)
{
    struct ctr_spec in = {0};
    cleanup_error struct ctr_error *err = NULL;

    in.argv = strv("echo", "\xff\xfe");
    ASSERT_TRUE(storage_spec_to_json(&in, &err) == NULL);
    ASSERT_STR_CONTAINS(err->msg, "argv");
    ASSERT_STR_CONTAINS(err->msg, "UTF-8");
    ctr_spec_clear(&in);
}

TEST(damaged_config_is_an_error_naming_the_member)
{
    struct ctr_spec out = {0};
    cleanup_error struct ctr_error *err = NULL;

    ASSERT_INT_EQ(storage_spec_from_json("{\"version\":1,\"argv\":\"sh\"}", &out, &err), -1);
    ASSERT_TRUE(strstr(err->msg, "argv") != NULL);
    ctr_error_clear(&err);
    ASSERT_INT_EQ(storage_spec_from_json("{\"version\":2,\"argv\":[\"sh\"]}", &out, &err), -1);
    ASSERT_TRUE(strstr(err->msg, "version") != NULL);
    ctr_error_clear(&err);
    ASSERT_INT_EQ(storage_spec_from_json("not json", &out, &err), -1);
}

TEST(sdnotify_mode_round_trips_and_defaults_to_container)
{
    struct ctr_spec in = {0}, out = {0};
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *json = NULL;

    in.argv = strv("true", NULL);
    in.sdnotify = CTR_SDNOTIFY_CONMON;
    json = storage_spec_to_json(&in, &err);
    ASSERT_TRUE(json != NULL);
    ASSERT_STR_CONTAINS(json, "\"sdnotify\":\"conmon\"");
    ASSERT_INT_EQ(storage_spec_from_json(json, &out, &err), 0);
    ASSERT_INT_EQ(out.sdnotify, CTR_SDNOTIFY_CONMON);
    ctr_spec_clear(&out);
    /* Stored before --sdnotify existed: Podman's default. */
    ASSERT_INT_EQ(storage_spec_from_json("{\"version\":1,\"argv\":[\"sh\"]}", &out, &err), 0);
    ASSERT_INT_EQ(out.sdnotify, CTR_SDNOTIFY_CONTAINER);
    ctr_spec_clear(&out);
    ASSERT_INT_EQ(storage_spec_from_json("{\"version\":1,\"argv\":[\"sh\"],\"sdnotify\":\"x\"}",
                                         &out, &err),
                  -1);
    ASSERT_STR_CONTAINS(err->msg, "sdnotify");
    ctr_spec_clear(&in);
}

TEST(restart_policy_and_create_command_round_trip)
{
    struct ctr_spec in = {0}, out = {0};
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *json = NULL;

    in.argv = strv("true", NULL);
    in.restart = CTR_RESTART_ON_FAILURE;
    in.restart_max = 5;
    in.create_command = strv("ctr", "run");
    json = storage_spec_to_json(&in, &err);
    ASSERT_TRUE(json != NULL);
    ASSERT_STR_CONTAINS(json, "\"restart_policy\":\"on-failure\",\"restart_max\":5");
    ASSERT_STR_CONTAINS(json, "\"create_command\":[\"ctr\",\"run\"]");
    ASSERT_INT_EQ(storage_spec_from_json(json, &out, &err), 0);
    ASSERT_INT_EQ(out.restart, CTR_RESTART_ON_FAILURE);
    ASSERT_UINT_EQ(out.restart_max, 5);
    ASSERT_STR_EQ(out.create_command[1], "run");
    ASSERT_TRUE(out.create_command[2] == NULL);
    ctr_spec_clear(&out);
    /* Stored before --restart existed: no policy, no command. */
    ASSERT_INT_EQ(storage_spec_from_json("{\"version\":1,\"argv\":[\"sh\"]}", &out, &err), 0);
    ASSERT_INT_EQ(out.restart, CTR_RESTART_NO);
    ASSERT_TRUE(out.create_command == NULL);
    ctr_spec_clear(&out);
    ASSERT_INT_EQ(storage_spec_from_json(
                          "{\"version\":1,\"argv\":[\"sh\"],\"restart_policy\":\"sometimes\"}",
                          &out, &err),
                  -1);
    ASSERT_STR_CONTAINS(err->msg, "'restart_policy' is not \"no\", \"on-failure\"");
    ctr_spec_clear(&out);
    ctr_spec_clear(&in);
}
