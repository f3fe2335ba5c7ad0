/* SPDX-License-Identifier: Apache-2.0 */
/* The pure parts of image archives: member names, image names, docker-archive manifest.json. */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "image-archive.h"
#include "unit.h"

static void expect_clean(const char *in, const char *want)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *out = NULL;

    ASSERT_OK(image_archive_member_clean(in, &out, &err), &err);
    ASSERT_STR_EQ(out, want);
}

static void expect_refused(const char *in, int code, const char *msg)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *out = NULL;

    ASSERT_FAILS(image_archive_member_clean(in, &out, &err), &err);
    ASSERT_INT_EQ(err->code, code);
    ASSERT_STR_CONTAINS(err->msg, msg);
    ASSERT_TRUE(out == NULL);
}

TEST(member_clean_normalises)
{
    expect_clean("manifest.json", "manifest.json");
    expect_clean("./manifest.json", "manifest.json");
    expect_clean("././blobs//sha256/ab/", "blobs/sha256/ab");
    expect_clean("abc/./layer.tar", "abc/layer.tar");
    expect_clean("./", "");
    expect_clean("..a/b..", "..a/b..");
}

TEST(member_clean_refuses_escapes)
{
    expect_refused("../x", EXDEV, "archive member '../x' has a '..' in its name");
    expect_refused("a/../../x", EXDEV, "'..'");
    expect_refused("a/..", EXDEV, "'..'");
    expect_refused("/etc/passwd", EXDEV, "absolute name");
    expect_refused("", EINVAL, "empty name");
    expect_refused("a\nb", EINVAL, "control character");
}

static void expect_oci_name(const char *in, const char *want)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_free char *out = image_archive_oci_name(in, &err);

    ASSERT_OK(out, &err);
    ASSERT_STR_EQ(out, want);
}

TEST(oci_name_as_podman_reads_it)
{
    /* skopeo writes just the tag given on its command line; podman save the full name. */
    expect_oci_name("layered", "localhost/layered:latest");
    expect_oci_name("v1.2", "localhost/v1.2:latest");
    expect_oci_name("foo/bar:1", "localhost/foo/bar:1");
    expect_oci_name("docker.io/library/busybox:latest", "docker.io/library/busybox:latest");
    expect_oci_name("docker.io/alpine", "docker.io/library/alpine:latest");
    expect_oci_name("quay.io/a/b:2", "quay.io/a/b:2");
    expect_oci_name("localhost:5000/x:y", "localhost:5000/x:y");
    expect_oci_name("quay.io/a/b:2@sha256:"
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                    "quay.io/a/b:2");
}

TEST(oci_name_refuses_garbage)
{
    cleanup_error struct ctr_error *err = NULL;

    ASSERT_TRUE(image_archive_oci_name("Not A Name", &err) == NULL);
    ASSERT_TRUE(err != NULL);
    ASSERT_STR_CONTAINS(err->msg, "invalid reference");
}

static struct image_docker_manifest *parse(const char *json, struct ctr_error **err)
{
    struct image_docker_manifest *m = NULL;

    if (image_docker_manifest_parse(json, strlen(json), &m, err) < 0)
        return NULL;
    return m;
}

TEST(docker_manifest_parses_docker_save_output)
{
    cleanup_error struct ctr_error *err = NULL;
    cleanup_with(image_docker_manifest_freep) struct image_docker_manifest *m =
            parse("[{\"Config\":\"abc.json\",\"RepoTags\":[\"busybox:latest\","
                  "\"docker.io/library/busybox:latest\",\"quay.io/x/y:1\"],"
                  "\"Layers\":[\"1111/layer.tar\",\"./2222/layer.tar\"],\"Parent\":\"\"},"
                  "{\"Config\":\"blobs/sha256/def\",\"RepoTags\":null,\"Layers\":[]}]",
                  &err);

    ASSERT_OK(m, &err);
    ASSERT_UINT_EQ(m->n_items, 2);
    ASSERT_STR_EQ(m->items[0].config, "abc.json");
    /* Docker's reading of a short name, and a name given twice is kept once. */
    ASSERT_UINT_EQ(strv_length(m->items[0].repo_tags), 2);
    ASSERT_STR_EQ(m->items[0].repo_tags[0], "docker.io/library/busybox:latest");
    ASSERT_STR_EQ(m->items[0].repo_tags[1], "quay.io/x/y:1");
    ASSERT_UINT_EQ(m->items[0].n_layers, 2);
    ASSERT_STR_EQ(m->items[0].layers[1], "2222/layer.tar");
    ASSERT_STR_EQ(m->items[1].config, "blobs/sha256/def");
    ASSERT_UINT_EQ(strv_length(m->items[1].repo_tags), 0);
    ASSERT_UINT_EQ(m->items[1].n_layers, 0);
}

static void expect_bad(const char *json, const char *msg)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_docker_manifest *m = parse(json, &err);

    ASSERT_TRUE(m == NULL);
    ASSERT_TRUE(err != NULL);
    ASSERT_STR_CONTAINS(err->msg, "invalid docker-archive manifest.json");
    ASSERT_STR_CONTAINS(err->msg, msg);
}

TEST(docker_manifest_refuses_bad_documents)
{
    expect_bad("{}", "not a JSON array");
    expect_bad("[]", "lists no image");
    expect_bad("[1]", "[0]: not an object");
    expect_bad("[{\"Layers\":[]}]", "[0].Config: missing");
    expect_bad("[{\"Config\":1,\"Layers\":[]}]", "[0].Config: not a string");
    expect_bad("[{\"Config\":\"a\"}]", "[0].Layers: missing");
    expect_bad("[{\"Config\":\"a\",\"Layers\":{}}]", "[0].Layers: not an array");
    expect_bad("[{\"Config\":\"a\",\"Layers\":[\"../../etc/passwd\"]}]",
               "[0].Layers[0]: archive member '../../etc/passwd' has a '..'");
    expect_bad("[{\"Config\":\"/etc/shadow\",\"Layers\":[]}]", "absolute name");
    expect_bad("[{\"Config\":\"./\",\"Layers\":[]}]", "names the archive itself");
    expect_bad("[{\"Config\":\"a\",\"Layers\":[],\"RepoTags\":\"x\"}]", "RepoTags: not an array");
    expect_bad("[{\"Config\":\"a\",\"Layers\":[],\"RepoTags\":[\"UPPER/Case\"]}]",
               "[0].RepoTags[0]: invalid reference");
    expect_bad("[{\"Config\":\"a\",\"Layers\":[],\"RepoTags\":[\"x@sha256:"
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"]}]",
               "has a digest, not a tag");
    expect_bad("[{\"Config\":\"a\",\"Config\":\"b\",\"Layers\":[]}]", "invalid JSON");
    expect_bad("[{\"Config\":\"a\",\"Layers\":[]}", "invalid JSON at line 1");
}

TEST(docker_manifest_limits)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_docker_manifest *m = NULL;
    size_t len = IMAGE_DOCKER_MANIFEST_MAX + 1;
    cleanup_free char *big = malloc(len);
    cleanup_free char *deep = malloc(1000);

    ASSERT_TRUE(big != NULL && deep != NULL);
    memset(big, ' ', len);
    ASSERT_FAILS(image_docker_manifest_parse(big, len, &m, &err), &err);
    ASSERT_INT_EQ(err->code, EFBIG);
    ctr_error_clear(&err);
    memset(deep, '[', 1000);
    ASSERT_FAILS(image_docker_manifest_parse(deep, 1000, &m, &err), &err);
    ASSERT_STR_CONTAINS(err->msg, "too deeply nested");
}
