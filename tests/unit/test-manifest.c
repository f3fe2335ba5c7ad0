/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "manifest.h"
#include "unit.h"
#include "xalloc.h"

/* Digests of made-up content; what matters is that they are well formed. */
#define D_CONFIG  "sha256:23f25f195315e1491be8cfbc1aabd13024ab94388f117e88805f5273bb50a42f"
#define D_LAYER1  "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"
#define D_LAYER2  "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06"
#define D_LAYER3  "sha256:a0e70458d19e37e14d6388030a017c587283e2fb6ef10c0744cad0294c47e8f8"
#define D_DCONFIG "sha256:75671a5d9b7973affa2f4b72457682940795daf7b761ca22364a7b05d364c036"
#define D_DLAYER1 "sha256:8cd5b6542632bedb21c3476a19a6e820fbf6cb76516ca2cef702ff90bc39bc2f"
#define D_DLAYER2 "sha256:232e1da4880b93828aec6c79c1ce091a6fbbbbb3b15a97fff78c972b33c1998d"
#define D_FOREIGN "sha256:656771905e1ef731f65cd0a0d9fb061238380a1a012e6abdf846ecc7d2ea36fd"
#define D_AMD64   "sha256:18a549f7a09e210d1b0fea2c1e671bd4b07b04ca840e18054701ddc410fd661e"
#define D_ARM64   "sha256:8e7bbfbd93d2603dd508963c49e0addba874e02446ef08d9bc36485b95677b0d"
#define D_ARMV7   "sha256:93bde6c0849bd883d12f3cff5ab93cf16cf5e8d30c1fe225ead0a234084d7396"
#define D_ARMV6   "sha256:9b929ec4347177a0fe15c928207bb4fbf55c972f2c63a7f47dd0a68d449e759e"
#define D_ATT1    "sha256:ac58ba10ec19b03d6a67d5360f714fb0faaa3c10d29dfd4e86babc15ca5fdeca"
#define D_ATT2    "sha256:b86f0339acfcbceaf1b30ff415d77454382085ceab34441c4da4b05c68764735"
#define D_DIFF1   "sha256:0697c0f434f8672811eb1b52d443d0d4cb616fa58e4d10b25e91471b7f45a665"
#define D_DIFF2   "sha256:a9485d17c39b521f9de31b558df98f81dd72a9c7498f57f27b74356ea150fbd9"
#define D_DIFF3   "sha256:03d63cb5ac6da8f21ccf8cb8ee9e410ece553f0bf779d19ac73eb8e9135d5e50"

#define REF "docker.io/library/app:1.4"

/* A manifest as BuildKit pushes it. */
static const char oci_manifest[] =
        "{\n"
        "  \"schemaVersion\": 2,\n"
        "  \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n"
        "  \"config\": {\n"
        "    \"mediaType\": \"application/vnd.oci.image.config.v1+json\",\n"
        "    \"digest\": \"" D_CONFIG "\",\n"
        "    \"size\": 1472\n"
        "  },\n"
        "  \"layers\": [\n"
        "    {\n"
        "      \"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\",\n"
        "      \"digest\": \"" D_LAYER1 "\",\n"
        "      \"size\": 3408729\n"
        "    },\n"
        "    {\n"
        "      \"mediaType\": \"application/vnd.oci.image.layer.v1.tar+zstd\",\n"
        "      \"digest\": \"" D_LAYER2 "\",\n"
        "      \"size\": 1048\n"
        "    },\n"
        "    {\n"
        "      \"mediaType\": \"application/vnd.oci.image.layer.v1.tar\",\n"
        "      \"digest\": \"" D_LAYER3 "\",\n"
        "      \"size\": 10240,\n"
        "      \"annotations\": {\n"
        "        \"org.opencontainers.image.title\": \"app.tar\"\n"
        "      }\n"
        "    }\n"
        "  ],\n"
        "  \"annotations\": {\n"
        "    \"org.opencontainers.image.created\": \"2024-03-14T09:26:53Z\",\n"
        "    \"org.opencontainers.image.base.name\": \"docker.io/library/alpine:3.19\"\n"
        "  }\n"
        "}\n";

/* Docker's schema 2, with a foreign layer as Windows base images have them. */
static const char docker_manifest[] =
        "{\n"
        "   \"schemaVersion\": 2,\n"
        "   \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n"
        "   \"config\": {\n"
        "      \"mediaType\": \"application/vnd.docker.container.image.v1+json\",\n"
        "      \"size\": 7023,\n"
        "      \"digest\": \"" D_DCONFIG "\"\n"
        "   },\n"
        "   \"layers\": [\n"
        "      {\n"
        "         \"mediaType\": \"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\n"
        "         \"size\": 1001,\n"
        "         \"digest\": \"" D_FOREIGN "\",\n"
        "         \"urls\": [\"https://example.com/layers/base.tar.gz\"]\n"
        "      },\n"
        "      {\n"
        "         \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n"
        "         \"size\": 32654,\n"
        "         \"digest\": \"" D_DLAYER1 "\"\n"
        "      },\n"
        "      {\n"
        "         \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n"
        "         \"size\": 16724,\n"
        "         \"digest\": \"" D_DLAYER2 "\"\n"
        "      }\n"
        "   ]\n"
        "}\n";

#define OCI_TYPE "\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", "
#define ATT_ANNOTATIONS(of)                                           \
    "\"annotations\": {\"vnd.docker.reference.digest\": \"" of "\", " \
    "\"vnd.docker.reference.type\": \"attestation-manifest\"}, "      \
    "\"platform\": {\"architecture\": \"unknown\", \"os\": \"unknown\"}"

/* A multi-platform index as `docker buildx build --platform ... --push` makes it. */
static const char oci_index[] =
        "{\n"
        "  \"schemaVersion\": 2,\n"
        "  \"mediaType\": \"application/vnd.oci.image.index.v1+json\",\n"
        "  \"manifests\": [\n"
        "    {" OCI_TYPE "\"digest\": \"" D_AMD64 "\", \"size\": 1012,\n"
        "     \"platform\": {\"architecture\": \"amd64\", \"os\": \"linux\"}},\n"
        "    {" OCI_TYPE "\"digest\": \"" D_ARMV6 "\", \"size\": 1012,\n"
        "     \"platform\": {\"architecture\": \"arm\", \"os\": \"linux\", \"variant\": \"v6\"}},\n"
        "    {" OCI_TYPE "\"digest\": \"" D_ARMV7 "\", \"size\": 1012,\n"
        "     \"platform\": {\"architecture\": \"arm\", \"os\": \"linux\", \"variant\": \"v7\"}},\n"
        "    {" OCI_TYPE "\"digest\": \"" D_ARM64 "\", \"size\": 1012,\n"
        "     \"platform\": {\"architecture\": \"arm64\", \"os\": \"linux\", \"variant\": "
        "\"v8\"}},\n"
        "    {" OCI_TYPE "\"digest\": \"" D_ATT1 "\", \"size\": 839,\n"
        "     " ATT_ANNOTATIONS(D_AMD64) "},\n"
                                         "    {" OCI_TYPE "\"digest\": \"" D_ATT2
                                         "\", \"size\": 839,\n"
                                         "     " ATT_ANNOTATIONS(D_ARM64) "}\n"
                                                                          "  ]\n"
                                                                          "}\n";

#define DOCKER_TYPE "\"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\", "

/* A Docker manifest list: arm64 without a variant, and a Windows entry. */
static const char docker_list[] =
        "{\n"
        "  \"schemaVersion\": 2,\n"
        "  \"mediaType\": \"application/vnd.docker.distribution.manifest.list.v2+json\",\n"
        "  \"manifests\": [\n"
        "    {" DOCKER_TYPE "\"size\": 528, \"digest\": \"" D_AMD64 "\",\n"
        "     \"platform\": {\"architecture\": \"amd64\", \"os\": \"linux\"}},\n"
        "    {" DOCKER_TYPE "\"size\": 528, \"digest\": \"" D_ARM64 "\",\n"
        "     \"platform\": {\"architecture\": \"arm64\", \"os\": \"linux\"}},\n"
        "    {" DOCKER_TYPE "\"size\": 1125, \"digest\": \"" D_ATT1 "\",\n"
        "     \"platform\": {\"architecture\": \"amd64\", \"os\": \"windows\",\n"
        "                  \"os.version\": \"10.0.17763.5576\", \"os.features\": [\"win32k\"]}}\n"
        "  ]\n"
        "}\n";

/* What an old registry serves for an image last pushed with Docker 1.9. */
static const char schema1_manifest[] =
        "{\n"
        "   \"schemaVersion\": 1,\n"
        "   \"name\": \"library/hello-world\",\n"
        "   \"tag\": \"latest\",\n"
        "   \"architecture\": \"amd64\",\n"
        "   \"fsLayers\": [\n"
        "      {\"blobSum\": \"" D_LAYER1 "\"}\n"
        "   ],\n"
        "   \"history\": [\n"
        "      {\"v1Compatibility\": \"{\\\"id\\\":\\\"e45a5af57b00\\\"}\"}\n"
        "   ],\n"
        "   \"signatures\": [\n"
        "      {\"header\": {\"alg\": \"ES256\"}, \"signature\": \"Zm9v\", \"protected\": "
        "\"YmFy\"}\n"
        "   ]\n"
        "}\n";

/* An OCI config as BuildKit writes it. */
static const char oci_config[] =
        "{\n"
        "  \"architecture\": \"amd64\",\n"
        "  \"config\": {\n"
        "    \"User\": \"app:app\",\n"
        "    \"ExposedPorts\": {\"8080/tcp\": {}, \"53/udp\": {}, \"9000\": {}},\n"
        "    \"Env\": [\n"
        "      \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
        "      \"APP_ENV=production\"\n"
        "    ],\n"
        "    \"Entrypoint\": [\"/usr/local/bin/app\"],\n"
        "    \"Cmd\": [\"--listen\", \":8080\"],\n"
        "    \"Volumes\": {\"/var/lib/app\": {}},\n"
        "    \"WorkingDir\": \"/srv/app\",\n"
        "    \"Labels\": {\n"
        "      \"org.opencontainers.image.source\": \"https://example.com/app\",\n"
        "      \"maintainer\": \"ops@example.com\"\n"
        "    },\n"
        "    \"StopSignal\": \"SIGINT\"\n"
        "  },\n"
        "  \"created\": \"2024-03-14T09:26:53.123456789Z\",\n"
        "  \"history\": [\n"
        "    {\"created\": \"2024-01-27T00:30:56.150825642Z\",\n"
        "     \"created_by\": \"/bin/sh -c #(nop) ADD file:37a76ec18f96 in / \"},\n"
        "    {\"created\": \"2024-01-27T00:30:56.280010456Z\",\n"
        "     \"created_by\": \"/bin/sh -c #(nop)  CMD [\\\"/bin/sh\\\"]\", \"empty_layer\": "
        "true},\n"
        "    {\"created\": \"2024-03-14T09:26:50Z\",\n"
        "     \"created_by\": \"RUN /bin/sh -c apk add --no-cache ca-certificates # buildkit\",\n"
        "     \"comment\": \"buildkit.dockerfile.v0\"},\n"
        "    {\"created\": \"2024-03-14T09:26:53Z\",\n"
        "     \"created_by\": \"COPY app /usr/local/bin/app # buildkit\",\n"
        "     \"comment\": \"buildkit.dockerfile.v0\", \"empty_layer\": false},\n"
        "    {\"created\": \"2024-03-14T09:26:53Z\",\n"
        "     \"created_by\": \"ENTRYPOINT [\\\"/usr/local/bin/app\\\"]\",\n"
        "     \"comment\": \"buildkit.dockerfile.v0\", \"empty_layer\": true}\n"
        "  ],\n"
        "  \"os\": \"linux\",\n"
        "  \"rootfs\": {\n"
        "    \"type\": \"layers\",\n"
        "    \"diff_ids\": [\"" D_DIFF1 "\", \"" D_DIFF2 "\", \"" D_DIFF3 "\"]\n"
        "  }\n"
        "}\n";

/* A config from the classic Docker builder: nulls everywhere, container_config, an offset. */
static const char docker_config[] =
        "{\"architecture\":\"arm\",\"variant\":\"v7\",\"config\":{\"Hostname\":\"\","
        "\"Domainname\":\"\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":false,"
        "\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\"Env\":[\"PATH=/usr/local/sbin:"
        "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":[\"/bin/sh\"],\"Image\":\"" D_DIFF2
        "\",\"Volumes\":null,\"WorkingDir\":\"\",\"Entrypoint\":null,\"OnBuild\":null,"
        "\"Labels\":null},\"container\":\"b1c4a5d1e2f3\",\"container_config\":{\"Hostname\":"
        "\"b1c4a5d1e2f3\",\"Cmd\":[\"/bin/sh\",\"-c\",\"#(nop) \",\"CMD [\\\"/bin/sh\\\"]\"],"
        "\"Labels\":{}},\"created\":\"2023-08-07T19:20:20.894140623+02:00\","
        "\"docker_version\":\"20.10.23\",\"history\":[{\"created\":\"2023-08-07T19:20:20Z\","
        "\"created_by\":\"/bin/sh -c #(nop) ADD file:7d3b in / \"}],\"os\":\"linux\","
        "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D_DIFF1 "\"]}}";

/* --- helpers --- */

static struct image_manifest *manifest_ok(const char *content_type, const char *json)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_manifest *m = image_manifest_parse(content_type, json, strlen(json), &err);

    ASSERT_OK(m, &err);
    return m;
}

static struct image_index *index_ok(const char *content_type, const char *json)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_index *ix = image_index_parse(content_type, json, strlen(json), &err);

    ASSERT_OK(ix, &err);
    return ix;
}

static struct image_config *config_ok(const char *json)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_config *c = image_config_parse(json, strlen(json), &err);

    ASSERT_OK(c, &err);
    return c;
}

/* Checks an error: its code (unless 0) and a piece of its message.  `line` names the case. */
static void check_error(int line, const void *result, struct ctr_error *err, int code,
                        const char *needle)
{
    if (result != NULL)
        UNIT_FAIL("case at line %d: parsed, expected an error with '%s'", line, needle);
    if (err == NULL)
        UNIT_FAIL("case at line %d: NULL without an error", line);
    if (strstr(err->msg, needle) == NULL)
        UNIT_FAIL("case at line %d: error \"%s\" does not contain \"%s\"", line, err->msg, needle);
    if (code != 0 && err->code != code)
        UNIT_FAIL("case at line %d: error \"%s\" has code %d, expected %d", line, err->msg,
                  err->code, code);
}

static void manifest_fails(int line, const char *content_type, const char *json, size_t len,
                           int code, const char *needle)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_manifest *m = image_manifest_parse(content_type, json, len, &err);

    check_error(line, m, err, code, needle);
}

static void index_fails(int line, const char *content_type, const char *json, int code,
                        const char *needle)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_index *ix = image_index_parse(content_type, json, strlen(json), &err);

    check_error(line, ix, err, code, needle);
}

static void config_fails(int line, const char *json, int code, const char *needle)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_config *c = image_config_parse(json, strlen(json), &err);

    check_error(line, c, err, code, needle);
}

#define MANIFEST_FAILS(ct, json, code, needle) \
    manifest_fails(__LINE__, ct, json, strlen(json), code, needle)
#define INDEX_FAILS(ct, json, code, needle) index_fails(__LINE__, ct, json, code, needle)
#define CONFIG_FAILS(json, code, needle)    config_fails(__LINE__, json, code, needle)

#define GOOD_CONFIG                                                                         \
    "{\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"" D_CONFIG \
    "\", \"size\": 1472}"
#define GOOD_LAYER                                                                             \
    "{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\", \"digest\": \"" D_LAYER1 \
    "\", \"size\": 3408729}"

/* An OCI manifest around the given config and layers JSON. */
static char *manifest_with(const char *config, const char *layers)
{
    return xasprintf("{\"schemaVersion\": 2, \"mediaType\": \"" IMAGE_MEDIA_OCI_MANIFEST "\", "
                     "\"config\": %s, \"layers\": [%s]}",
                     config, layers);
}

/* A layer descriptor with the given fields replacing the good one's. */
static char *layer_with(const char *media_type, const char *digest, const char *size)
{
    return xasprintf("{\"mediaType\": %s, \"digest\": %s, \"size\": %s}", media_type, digest, size);
}

static void layer_fails(int line, const char *media_type, const char *digest, const char *size,
                        int code, const char *needle)
{
    cleanup_free char *layer = layer_with(media_type, digest, size);
    cleanup_free char *json = manifest_with(GOOD_CONFIG, layer);

    manifest_fails(line, NULL, json, strlen(json), code, needle);
}

#define LAYER_FAILS(mt, digest, size, code, needle) \
    layer_fails(__LINE__, mt, digest, size, code, needle)

#define Q(s)        "\"" s "\""
#define GZIP_TYPE   Q("application/vnd.oci.image.layer.v1.tar+gzip")
#define CONFIG_TYPE Q("application/vnd.oci.image.config.v1+json")

/* A config around the given rootfs and exec config JSON. */
static char *config_with(const char *rootfs, const char *exec_config)
{
    return xasprintf("{\"architecture\": \"amd64\", \"os\": \"linux\", \"config\": %s, "
                     "\"rootfs\": %s}",
                     exec_config, rootfs);
}

#define GOOD_ROOTFS "{\"type\": \"layers\", \"diff_ids\": [\"" D_DIFF1 "\"]}"

static void exec_config_fails(int line, const char *exec_config, int code, const char *needle)
{
    cleanup_free char *json = config_with(GOOD_ROOTFS, exec_config);

    config_fails(line, json, code, needle);
}

#define EXEC_CONFIG_FAILS(cfg, code, needle) exec_config_fails(__LINE__, cfg, code, needle)

/* --- manifests --- */

TEST(oci_manifest)
{
    cleanup_with(image_manifest_freep) struct image_manifest *m =
            manifest_ok(IMAGE_MEDIA_OCI_MANIFEST, oci_manifest);

    ASSERT_INT_EQ(m->kind, IMAGE_KIND_OCI_MANIFEST);
    ASSERT_STR_EQ(m->config.media_type, IMAGE_MEDIA_OCI_CONFIG);
    ASSERT_STR_EQ(m->config.digest, D_CONFIG);
    ASSERT_INT_EQ(m->config.size, 1472);
    ASSERT_UINT_EQ(m->n_layers, 3);
    ASSERT_STR_EQ(m->layers[0].digest, D_LAYER1);
    ASSERT_INT_EQ(m->layers[0].size, 3408729);
    ASSERT_INT_EQ(m->layers[0].compression, IMAGE_COMPRESSION_GZIP);
    ASSERT_INT_EQ(m->layers[1].compression, IMAGE_COMPRESSION_ZSTD);
    ASSERT_INT_EQ(m->layers[2].compression, IMAGE_COMPRESSION_NONE);
    ASSERT_INT_EQ(m->layers[2].nondistributable, 0);
    ASSERT_TRUE(m->layers[2].urls == NULL);
    ASSERT_TRUE(m->layers[2].platform == NULL);
    ASSERT_STR_EQ(image_descriptor_annotation(&m->layers[2], "org.opencontainers.image.title"),
                  "app.tar");
    ASSERT_UINT_EQ(m->n_annotations, 2);
    /* Document order is kept. */
    ASSERT_STR_EQ(m->annotations[0].key, "org.opencontainers.image.created");
    ASSERT_STR_EQ(
            image_kv_get(m->annotations, m->n_annotations, "org.opencontainers.image.base.name"),
            "docker.io/library/alpine:3.19");
    ASSERT_TRUE(image_kv_get(m->annotations, m->n_annotations, "missing") == NULL);
}

TEST(docker_manifest)
{
    cleanup_with(image_manifest_freep) struct image_manifest *m =
            manifest_ok(IMAGE_MEDIA_DOCKER_MANIFEST, docker_manifest);

    ASSERT_INT_EQ(m->kind, IMAGE_KIND_DOCKER_MANIFEST);
    ASSERT_STR_EQ(m->config.media_type, IMAGE_MEDIA_DOCKER_CONFIG);
    ASSERT_STR_EQ(m->config.digest, D_DCONFIG);
    ASSERT_UINT_EQ(m->n_layers, 3);
    ASSERT_INT_EQ(m->layers[0].nondistributable, 1);
    ASSERT_INT_EQ(m->layers[0].compression, IMAGE_COMPRESSION_GZIP);
    ASSERT_TRUE(m->layers[0].urls != NULL);
    ASSERT_STR_EQ(m->layers[0].urls[0], "https://example.com/layers/base.tar.gz");
    ASSERT_TRUE(m->layers[0].urls[1] == NULL);
    ASSERT_INT_EQ(m->layers[1].nondistributable, 0);
    ASSERT_STR_EQ(m->layers[2].digest, D_DLAYER2);
    ASSERT_UINT_EQ(m->n_annotations, 0);
}

TEST(all_layer_types)
{
    static const struct {
        const char *media_type;
        enum image_compression compression;
        int nondistributable;
    } cases[] = {
            {"application/vnd.oci.image.layer.v1.tar", IMAGE_COMPRESSION_NONE, 0},
            {"application/vnd.oci.image.layer.v1.tar+gzip", IMAGE_COMPRESSION_GZIP, 0},
            {"application/vnd.oci.image.layer.v1.tar+zstd", IMAGE_COMPRESSION_ZSTD, 0},
            {"application/vnd.oci.image.layer.nondistributable.v1.tar", IMAGE_COMPRESSION_NONE, 1},
            {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", IMAGE_COMPRESSION_GZIP,
             1},
            {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", IMAGE_COMPRESSION_ZSTD,
             1},
            {"application/vnd.docker.image.rootfs.diff.tar.gzip", IMAGE_COMPRESSION_GZIP, 0},
            {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", IMAGE_COMPRESSION_GZIP,
             1},
            {"application/vnd.docker.image.rootfs.diff.tar", IMAGE_COMPRESSION_NONE, 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cleanup_free char *type = xasprintf("\"%s\"", cases[i].media_type);
        cleanup_free char *layer = layer_with(type, Q(D_LAYER1), "10");
        cleanup_free char *json = manifest_with(GOOD_CONFIG, layer);
        cleanup_with(image_manifest_freep) struct image_manifest *m = manifest_ok(NULL, json);

        ASSERT_INT_EQ(m->layers[0].compression, cases[i].compression);
        ASSERT_INT_EQ(m->layers[0].nondistributable, cases[i].nondistributable);
    }
}

TEST(no_layers_and_nulls)
{
    /* An image of only a config is legal; null optional fields read as absent. */
    cleanup_free char *json =
            xasprintf("{\"schemaVersion\": 2, \"mediaType\": null, \"config\": {\"mediaType\": "
                      "%s, \"digest\": %s, \"size\": 2, \"urls\": null, \"annotations\": null}, "
                      "\"layers\": [], \"annotations\": null, \"subject\": null}",
                      CONFIG_TYPE, Q(D_CONFIG));
    cleanup_with(image_manifest_freep) struct image_manifest *m = manifest_ok(NULL, json);

    ASSERT_INT_EQ(m->kind, IMAGE_KIND_OCI_MANIFEST);
    ASSERT_UINT_EQ(m->n_layers, 0);
    ASSERT_TRUE(m->config.urls == NULL);
}

TEST(kind_from_header_body_and_shape)
{
    cleanup_error struct ctr_error *err = NULL;
    enum image_manifest_kind kind = 0;
    /* No mediaType in the body: the shape decides when the header does not. */
    static const char bare_manifest[] =
            "{\"schemaVersion\": 2, \"config\": " GOOD_CONFIG ", \"layers\": [" GOOD_LAYER "]}";
    static const char bare_index[] = "{\"schemaVersion\": 2, \"manifests\": []}";

    ASSERT_OK(image_manifest_detect(NULL, oci_manifest, strlen(oci_manifest), &kind, &err), &err);
    ASSERT_INT_EQ(kind, IMAGE_KIND_OCI_MANIFEST);
    ASSERT_OK(image_manifest_detect("application/json", docker_manifest, strlen(docker_manifest),
                                    &kind, &err),
              &err);
    ASSERT_INT_EQ(kind, IMAGE_KIND_DOCKER_MANIFEST);
    ASSERT_OK(image_manifest_detect("text/plain; charset=utf-8", docker_list, strlen(docker_list),
                                    &kind, &err),
              &err);
    ASSERT_INT_EQ(kind, IMAGE_KIND_DOCKER_LIST);
    ASSERT_OK(image_manifest_detect("", oci_index, strlen(oci_index), &kind, &err), &err);
    ASSERT_INT_EQ(kind, IMAGE_KIND_OCI_INDEX);
    ASSERT_OK(image_manifest_detect(NULL, bare_manifest, strlen(bare_manifest), &kind, &err), &err);
    ASSERT_INT_EQ(kind, IMAGE_KIND_OCI_MANIFEST);
    ASSERT_OK(image_manifest_detect(NULL, bare_index, strlen(bare_index), &kind, &err), &err);
    ASSERT_INT_EQ(kind, IMAGE_KIND_OCI_INDEX);
    /* The header names the Docker kind for a body that does not say. */
    ASSERT_OK(image_manifest_detect(IMAGE_MEDIA_DOCKER_MANIFEST, bare_manifest,
                                    strlen(bare_manifest), &kind, &err),
              &err);
    ASSERT_INT_EQ(kind, IMAGE_KIND_DOCKER_MANIFEST);
    /* Media types are case-insensitive, parameters and blanks do not count. */
    ASSERT_OK(image_manifest_detect(" Application/VND.OCI.Image.Manifest.v1+JSON ; charset=utf-8",
                                    oci_manifest, strlen(oci_manifest), &kind, &err),
              &err);
    ASSERT_INT_EQ(kind, IMAGE_KIND_OCI_MANIFEST);
    ASSERT_TRUE(image_manifest_kind_is_index(IMAGE_KIND_DOCKER_LIST));
    ASSERT_TRUE(!image_manifest_kind_is_index(IMAGE_KIND_DOCKER_MANIFEST));
    ASSERT_STR_EQ(image_manifest_kind_media_type(IMAGE_KIND_OCI_INDEX), IMAGE_MEDIA_OCI_INDEX);
}

TEST(header_and_body_conflict)
{
    MANIFEST_FAILS(IMAGE_MEDIA_DOCKER_MANIFEST, oci_manifest, EBADMSG,
                   "the registry sent Content-Type '" IMAGE_MEDIA_DOCKER_MANIFEST
                   "' for a document whose mediaType is '" IMAGE_MEDIA_OCI_MANIFEST "'");
    INDEX_FAILS(IMAGE_MEDIA_OCI_INDEX, docker_list, EBADMSG, "Content-Type");
    /* The header says index, the body is shaped like a manifest and does not say. */
    MANIFEST_FAILS(IMAGE_MEDIA_OCI_INDEX,
                   "{\"schemaVersion\": 2, \"config\": " GOOD_CONFIG ", \"layers\": []}", EBADMSG,
                   "an image index must not have 'config' or 'layers'");
    INDEX_FAILS(IMAGE_MEDIA_OCI_MANIFEST, "{\"schemaVersion\": 2, \"manifests\": []}", EBADMSG,
                "an image manifest must not have 'manifests'");
    MANIFEST_FAILS(
            "application/vnd.oci.artifact.manifest.v1+json", oci_manifest, ENOTSUP,
            "unsupported manifest media type 'application/vnd.oci.artifact.manifest.v1+json'");
    MANIFEST_FAILS(
            NULL,
            "{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.config.v1+json\"}",
            ENOTSUP, "unsupported manifest media type");
}

TEST(ambiguous_document)
{
    /* CVE-2021-41190: both shapes in one document. */
    MANIFEST_FAILS(NULL,
                   "{\"schemaVersion\": 2, \"config\": " GOOD_CONFIG ", \"layers\": [], "
                   "\"manifests\": []}",
                   EBADMSG, "ambiguous document");
    INDEX_FAILS(IMAGE_MEDIA_OCI_INDEX,
                "{\"schemaVersion\": 2, \"mediaType\": \"" IMAGE_MEDIA_OCI_INDEX
                "\", \"manifests\": [], \"layers\": []}",
                EBADMSG, "ambiguous document");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": 2}", EBADMSG,
                   "neither 'manifests' nor 'config' and 'layers'");
}

TEST(schema1_refused)
{
    static const char *const types[] = {
            NULL,
            "application/json",
            IMAGE_MEDIA_DOCKER_SCHEMA1,
            IMAGE_MEDIA_DOCKER_SCHEMA1_S,
            IMAGE_MEDIA_OCI_MANIFEST,
    };

    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        MANIFEST_FAILS(types[i], schema1_manifest, ENOTSUP,
                       "schema 1 (Docker's first manifest format) is not supported");
        MANIFEST_FAILS(types[i], schema1_manifest, ENOTSUP,
                       "the image must be re-pushed with a current tool");
        INDEX_FAILS(types[i], schema1_manifest, ENOTSUP,
                    "schema 1 (Docker's first manifest format) is not supported");
    }
    /* Named in the body only. */
    MANIFEST_FAILS(NULL,
                   "{\"schemaVersion\": 2, \"mediaType\": \"" IMAGE_MEDIA_DOCKER_SCHEMA1_S "\"}",
                   ENOTSUP, "schema 1 (Docker's first manifest format) is not supported");
    /* The header says schema 1 whatever the body looks like. */
    MANIFEST_FAILS(IMAGE_MEDIA_DOCKER_SCHEMA1, "not even JSON", ENOTSUP,
                   "schema 1 (Docker's first manifest format) is not supported");
}

TEST(manifest_where_index_expected)
{
    MANIFEST_FAILS(NULL, oci_index, EBADMSG,
                   "invalid image manifest: expected an image manifest, got an image index");
    INDEX_FAILS(IMAGE_MEDIA_DOCKER_MANIFEST, docker_manifest, EBADMSG,
                "invalid image index: expected an image index, got an image manifest");
}

TEST(wrong_types)
{
    MANIFEST_FAILS(NULL, "[]", EBADMSG, "not a JSON object");
    MANIFEST_FAILS(NULL, "\"manifest\"", EBADMSG, "invalid JSON");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": \"2\", \"manifests\": []}", EBADMSG,
                   "schemaVersion: not an integer");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": 2.0, \"manifests\": []}", EBADMSG,
                   "schemaVersion: not an integer");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": 3, \"config\": {}, \"layers\": []}", EBADMSG,
                   "schemaVersion: 3 is not supported");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": 2, \"mediaType\": 7, \"layers\": []}", EBADMSG,
                   "mediaType: not a string");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": 2, \"config\": [], \"layers\": []}", EBADMSG,
                   "config: not an object");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": 2, \"config\": " GOOD_CONFIG ", \"layers\": {}}",
                   EBADMSG, "layers: not an array");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": 2, \"config\": " GOOD_CONFIG ", \"layers\": [7]}",
                   EBADMSG, "layers[0]: not an object");
    LAYER_FAILS(GZIP_TYPE, Q(D_LAYER1), "\"12\"", EBADMSG, "layers[0].size: not an integer");
    LAYER_FAILS(GZIP_TYPE, Q(D_LAYER1), "1.5", EBADMSG, "layers[0].size: not an integer");
    LAYER_FAILS(GZIP_TYPE, Q(D_LAYER1), "1e3", EBADMSG, "layers[0].size: not an integer");
    LAYER_FAILS(GZIP_TYPE, "42", "1", EBADMSG, "layers[0].digest: not a string");
    LAYER_FAILS("[]", Q(D_LAYER1), "1", EBADMSG, "layers[0].mediaType: not a string");
    LAYER_FAILS("\"gzip\"", Q(D_LAYER1), "1", EBADMSG, "invalid media type 'gzip'");
    MANIFEST_FAILS(NULL,
                   "{\"schemaVersion\": 2, \"config\": " GOOD_CONFIG ", \"layers\": [], "
                   "\"annotations\": {\"a\": 1}}",
                   EBADMSG, "annotations: value of 'a' is not a string");
    MANIFEST_FAILS(NULL,
                   "{\"schemaVersion\": 2, \"config\": " GOOD_CONFIG ", \"layers\": [], "
                   "\"annotations\": [\"a\"]}",
                   EBADMSG, "annotations: not an object");
    MANIFEST_FAILS(NULL,
                   "{\"schemaVersion\": 2, \"config\": {\"mediaType\": " CONFIG_TYPE
                   ", \"digest\": \"" D_CONFIG "\", \"size\": 2, \"urls\": \"https://x\"}, "
                   "\"layers\": []}",
                   EBADMSG, "config.urls: not an array");
    MANIFEST_FAILS(NULL,
                   "{\"schemaVersion\": 2, \"config\": {\"mediaType\": " CONFIG_TYPE
                   ", \"digest\": \"" D_CONFIG "\", \"size\": 2, \"urls\": [1]}, "
                   "\"layers\": []}",
                   EBADMSG, "config.urls: entry 0 is not a string");
}

TEST(missing_fields)
{
    MANIFEST_FAILS(NULL, "{\"config\": " GOOD_CONFIG ", \"layers\": []}", EBADMSG,
                   "schemaVersion: missing");
    MANIFEST_FAILS(IMAGE_MEDIA_OCI_MANIFEST, "{\"schemaVersion\": 2, \"layers\": []}", EBADMSG,
                   "config: missing");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": 2, \"config\": " GOOD_CONFIG "}", EBADMSG,
                   "layers: missing");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": 2, \"config\": null, \"layers\": []}", EBADMSG,
                   "config: missing");
    MANIFEST_FAILS(NULL,
                   "{\"schemaVersion\": 2, \"config\": {\"mediaType\": " CONFIG_TYPE
                   ", \"size\": 2}, \"layers\": []}",
                   EBADMSG, "config.digest: missing");
    MANIFEST_FAILS(NULL,
                   "{\"schemaVersion\": 2, \"config\": {\"digest\": \"" D_CONFIG
                   "\", \"size\": 2}, \"layers\": []}",
                   EBADMSG, "config.mediaType: missing");
    MANIFEST_FAILS(NULL,
                   "{\"schemaVersion\": 2, \"config\": {\"mediaType\": " CONFIG_TYPE
                   ", \"digest\": \"" D_CONFIG "\"}, \"layers\": []}",
                   EBADMSG, "config.size: missing");
    INDEX_FAILS(IMAGE_MEDIA_OCI_INDEX, "{\"schemaVersion\": 2}", EBADMSG, "manifests: missing");
    INDEX_FAILS(NULL,
                "{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": \"" IMAGE_MEDIA_OCI_MANIFEST
                "\", \"digest\": \"" D_AMD64 "\", \"size\": 5, \"platform\": {\"os\": "
                "\"linux\"}}]}",
                EBADMSG, "manifests[0].platform.architecture: missing");
}

TEST(bad_digests)
{
    static const char *const bad[] = {
            "\"sha256:../../etc\"",
            "\"sha256:../../../../../../tmp/x\"",
            "\"sha256:77EA7EEE3D80B1A38F83906DD3048E2689457EB90E18A7D12F839C5AE37106A2\"",
            "\"md5:d41d8cd98f00b204e9800998ecf8427e\"",
            "\"sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a\"",
            "\"77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2\"",
            "\"\"",
            "\"sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2/..\"",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cleanup_free char *config =
                xasprintf("{\"mediaType\": %s, \"digest\": %s, \"size\": 1}", CONFIG_TYPE, bad[i]);
        cleanup_free char *json = manifest_with(config, GOOD_LAYER);
        cleanup_free char *entry =
                xasprintf("{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": \"%s\", "
                          "\"digest\": %s, \"size\": 1}]}",
                          IMAGE_MEDIA_OCI_MANIFEST, bad[i]);
        cleanup_free char *cfg =
                xasprintf("{\"architecture\": \"amd64\", \"os\": \"linux\", \"rootfs\": "
                          "{\"type\": \"layers\", \"diff_ids\": [\"%s\", %s]}}",
                          D_DIFF1, bad[i]);

        LAYER_FAILS(GZIP_TYPE, bad[i], "1", 0, "layers[0].digest: invalid digest");
        MANIFEST_FAILS(NULL, json, 0, "config.digest: invalid digest");
        INDEX_FAILS(NULL, entry, 0, "manifests[0].digest: invalid digest");
        CONFIG_FAILS(cfg, 0, "rootfs.diff_ids[1]: invalid digest");
    }
}

TEST(sizes)
{
    cleanup_free char *big_config = xasprintf("{\"mediaType\": %s, \"digest\": %s, \"size\": %d}",
                                              CONFIG_TYPE, Q(D_CONFIG), IMAGE_CONFIG_MAX + 1);
    cleanup_free char *json = manifest_with(big_config, "");
    cleanup_free char *entry =
            xasprintf("{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": \"%s\", "
                      "\"digest\": \"%s\", \"size\": %d}]}",
                      IMAGE_MEDIA_DOCKER_MANIFEST, D_AMD64, IMAGE_MANIFEST_MAX + 1);
    cleanup_free char *artifact =
            xasprintf("{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": "
                      "\"application/vnd.example.sbom+json\", \"digest\": \"%s\", \"size\": %d}]}",
                      D_AMD64, IMAGE_MANIFEST_MAX + 1);
    cleanup_with(image_index_freep) struct image_index *ix = NULL;

    LAYER_FAILS(GZIP_TYPE, Q(D_LAYER1), "-1", EBADMSG, "layers[0].size: -1 is negative");
    LAYER_FAILS(GZIP_TYPE, Q(D_LAYER1), "-9223372036854775808", EBADMSG, "is negative");
    LAYER_FAILS(GZIP_TYPE, Q(D_LAYER1), "1099511627777", EBADMSG,
                "layers[0].size: 1099511627777 is more than the limit of 1099511627776");
    /* Past what jansson's json_int_t holds: a JSON error, not a wrapped-around size. */
    LAYER_FAILS(GZIP_TYPE, Q(D_LAYER1), "99999999999999999999", EBADMSG, "invalid JSON");
    MANIFEST_FAILS(NULL, json, EBADMSG, "config.size: 8388609 is more than the limit of 8388608");
    INDEX_FAILS(NULL, entry, EBADMSG, "manifests[0].size: 4194305 is more than the limit");
    /* An entry that is not a manifest may be as big as any blob. */
    ix = index_ok(NULL, artifact);
    ASSERT_INT_EQ(ix->manifests[0].size, IMAGE_MANIFEST_MAX + 1);
}

/* `n` copies of `unit` joined by `sep`. */
static char *repeat(const char *unit, size_t n, const char *sep)
{
    size_t ulen = strlen(unit), slen = strlen(sep), len = 0;
    char *out = xmalloc(n * (ulen + slen) + 1);

    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            memcpy(out + len, sep, slen);
            len += slen;
        }
        memcpy(out + len, unit, ulen);
        len += ulen;
    }
    out[len] = '\0';
    return out;
}

static char *many_layers(size_t n)
{
    return repeat(GOOD_LAYER, n, ",");
}

TEST(layer_limit)
{
    cleanup_free char *ok_layers = many_layers(IMAGE_LAYERS_MAX);
    cleanup_free char *ok = manifest_with(GOOD_CONFIG, ok_layers);
    cleanup_free char *bad_layers = many_layers(IMAGE_LAYERS_MAX + 1);
    cleanup_free char *bad = manifest_with(GOOD_CONFIG, bad_layers);
    cleanup_with(image_manifest_freep) struct image_manifest *m = manifest_ok(NULL, ok);

    ASSERT_UINT_EQ(m->n_layers, IMAGE_LAYERS_MAX);
    MANIFEST_FAILS(NULL, bad, EBADMSG, "layers: 1001 entries, more than the limit of 1000");
}

static char *many_entries(size_t n)
{
    cleanup_free char *entries = repeat("{\"mediaType\": \"" IMAGE_MEDIA_OCI_MANIFEST
                                        "\", \"digest\": \"" D_AMD64 "\", \"size\": 1012}",
                                        n, ",");

    return xasprintf("{\"schemaVersion\": 2, \"manifests\": [%s]}", entries);
}

TEST(index_entry_limit)
{
    cleanup_free char *ok = many_entries(IMAGE_INDEX_MAX);
    cleanup_free char *bad = many_entries(IMAGE_INDEX_MAX + 1);
    cleanup_with(image_index_freep) struct image_index *ix = index_ok(NULL, ok);

    ASSERT_UINT_EQ(ix->n_manifests, IMAGE_INDEX_MAX);
    INDEX_FAILS(NULL, bad, EBADMSG, "manifests: 10001 entries, more than the limit of 10000");
}

TEST(unknown_layer_type)
{
    LAYER_FAILS(Q("application/vnd.example.layer.v1.tar+lz4"), Q(D_LAYER1), "1", ENOTSUP,
                "layers[0]: unsupported layer media type "
                "'application/vnd.example.layer.v1.tar+lz4'");
    /* A Helm chart, or an OCI 1.1 artifact with the empty config: not images ctr can run. */
    LAYER_FAILS(Q("application/vnd.cncf.helm.chart.content.v1.tar+gzip"), Q(D_LAYER1), "1", ENOTSUP,
                "unsupported layer media type");
    MANIFEST_FAILS(NULL,
                   "{\"schemaVersion\": 2, \"config\": {\"mediaType\": "
                   "\"application/vnd.oci.empty.v1+json\", \"digest\": \"" D_CONFIG
                   "\", \"size\": 2}, \"layers\": []}",
                   ENOTSUP,
                   "config: media type 'application/vnd.oci.empty.v1+json' is not a container "
                   "image config");
}

TEST(urls_must_be_http)
{
    static const char *const bad[] = {
            "file:///etc/shadow",
            "ftp://example.com/layer",
            "/relative/path",
            "",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cleanup_free char *layer = xasprintf(
                "{\"mediaType\": \"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\", "
                "\"digest\": \"%s\", \"size\": 5, \"urls\": [\"https://ok.example/x\", \"%s\"]}",
                D_FOREIGN, bad[i]);
        cleanup_free char *json = manifest_with(GOOD_CONFIG, layer);
        cleanup_free char *needle =
                xasprintf("layers[0].urls: '%s' is not an http or https URL", bad[i]);

        MANIFEST_FAILS(NULL, json, EBADMSG, needle);
    }
}

TEST(invalid_json)
{
    static const char dup[] = "{\"schemaVersion\": 2, \"schemaVersion\": 1, \"manifests\": []}";
    static const char nul[] = "{\"schemaVersion\": 2,\0 \"manifests\": []}";
    cleanup_free char *open = repeat("[", 64, ""), *close = repeat("]", 64, "");
    cleanup_free char *deep = xasprintf("{\"schemaVersion\": 2, \"x\": %s%s}", open, close);
    cleanup_free char *objects = repeat("{}", 150000, ",");
    cleanup_free char *wide = xasprintf("{\"x\": [%s]}", objects);

    MANIFEST_FAILS(NULL, "", EBADMSG, "invalid JSON at line");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": 2, \"config\": {}} trailing", EBADMSG,
                   "invalid JSON");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": 2", EBADMSG, "invalid JSON");
    MANIFEST_FAILS(NULL, dup, EBADMSG, "duplicate object key");
    manifest_fails(__LINE__, NULL, nul, sizeof(nul) - 1, EBADMSG, "invalid JSON");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": 2, \"mediaType\": \"a\\u0000b\"}", EBADMSG,
                   "invalid JSON");
    MANIFEST_FAILS(NULL, "{\"schemaVersion\": 2, \"mediaType\": \"\xff\xfe\"}", EBADMSG,
                   "invalid JSON");
    /* The object and 64 arrays in it. */
    MANIFEST_FAILS(NULL, deep, EBADMSG, "JSON nested more than 64 levels deep");
    /* 150000 empty objects would cost jansson some 35 MiB. */
    MANIFEST_FAILS(NULL, wide, EBADMSG, "more than 131072 JSON objects and arrays");
    /* Brackets inside strings, and escaped quotes, do not count. */
    MANIFEST_FAILS(NULL,
                   "{\"schemaVersion\": 2, \"x\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
                   "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[\"}",
                   EBADMSG, "neither 'manifests' nor 'config' and 'layers'");
}

TEST(oversized_input)
{
    size_t len = IMAGE_MANIFEST_MAX + 1;
    cleanup_free char *big = xmalloc(IMAGE_CONFIG_MAX + 2);
    cleanup_error struct ctr_error *err = NULL;
    enum image_manifest_kind kind;

    /* Valid JSON padded with blanks: the size alone is refused, before any parsing. */
    memset(big, ' ', IMAGE_CONFIG_MAX + 1);
    memcpy(big, oci_manifest, strlen(oci_manifest));
    big[IMAGE_CONFIG_MAX + 1] = '\0';
    manifest_fails(__LINE__, NULL, big, len, EFBIG,
                   "invalid image manifest: 4194305 bytes is more than the limit of 4194304");
    ASSERT_TRUE(image_manifest_detect(NULL, big, len, &kind, &err) == -1);
    ASSERT_INT_EQ(err->code, EFBIG);
    ctr_error_clear(&err);
    {
        struct image_index *ix = image_index_parse(NULL, big, len, &err);

        check_error(__LINE__, ix, err, EFBIG, "invalid image index");
        ctr_error_clear(&err);
    }
    {
        struct image_manifest *m = image_manifest_parse(NULL, big, IMAGE_MANIFEST_MAX, &err);

        ASSERT_OK(m, &err);
        image_manifest_free(m);
    }
    {
        struct image_config *c = image_config_parse(big, IMAGE_CONFIG_MAX + 1, &err);

        check_error(__LINE__, c, err, EFBIG,
                    "invalid image config: 8388609 bytes is more than the limit of 8388608");
    }
}

TEST(untrusted_text_is_quoted)
{
    /* A registry must not reach the terminal through an error message. */
    LAYER_FAILS(Q("application/vnd.x\\u001b[31m"), Q(D_LAYER1), "1", EBADMSG,
                "invalid media type 'application/vnd.x?[31m'");
    MANIFEST_FAILS("application/x-\x1b]0;owned\x07", oci_manifest, ENOTSUP,
                   "unsupported manifest media type 'application/x-?]0;owned?'");
}

/* --- indexes --- */

TEST(oci_index)
{
    cleanup_with(image_index_freep) struct image_index *ix =
            index_ok(IMAGE_MEDIA_OCI_INDEX, oci_index);
    const struct image_descriptor *att;

    ASSERT_INT_EQ(ix->kind, IMAGE_KIND_OCI_INDEX);
    ASSERT_UINT_EQ(ix->n_manifests, 6);
    ASSERT_STR_EQ(ix->manifests[0].platform->os, "linux");
    ASSERT_STR_EQ(ix->manifests[0].platform->architecture, "amd64");
    ASSERT_TRUE(ix->manifests[0].platform->variant == NULL);
    ASSERT_STR_EQ(ix->manifests[2].platform->variant, "v7");
    ASSERT_INT_EQ(ix->manifests[3].size, 1012);
    att = &ix->manifests[4];
    ASSERT_STR_EQ(image_descriptor_annotation(att, "vnd.docker.reference.type"),
                  "attestation-manifest");
    ASSERT_STR_EQ(image_descriptor_annotation(att, "vnd.docker.reference.digest"), D_AMD64);
}

TEST(docker_list)
{
    cleanup_with(image_index_freep) struct image_index *ix = index_ok(NULL, docker_list);
    const struct image_platform *win;

    ASSERT_INT_EQ(ix->kind, IMAGE_KIND_DOCKER_LIST);
    ASSERT_UINT_EQ(ix->n_manifests, 3);
    ASSERT_STR_EQ(ix->manifests[0].media_type, IMAGE_MEDIA_DOCKER_MANIFEST);
    win = ix->manifests[2].platform;
    ASSERT_STR_EQ(win->os, "windows");
    ASSERT_STR_EQ(win->os_version, "10.0.17763.5576");
    ASSERT_STR_EQ(win->os_features[0], "win32k");
    ASSERT_TRUE(win->os_features[1] == NULL);
    ASSERT_TRUE(win->features == NULL);
}

TEST(oci_layout_index)
{
    /* index.json of an OCI layout (`skopeo copy ... oci-archive:`): tags as annotations. */
    static const char layout[] =
            "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" IMAGE_MEDIA_OCI_MANIFEST
            "\",\"digest\":\"" D_AMD64 "\",\"size\":1012,\"annotations\":{"
            "\"io.containerd.image.name\":\"docker.io/library/app:1.4\","
            "\"org.opencontainers.image.ref.name\":\"1.4\"}}]}";
    cleanup_with(image_index_freep) struct image_index *ix = index_ok("application/json", layout);

    ASSERT_INT_EQ(ix->kind, IMAGE_KIND_OCI_INDEX);
    ASSERT_STR_EQ(image_descriptor_annotation(&ix->manifests[0], IMAGE_ANNOTATION_REF_NAME), "1.4");
    ASSERT_TRUE(ix->manifests[0].platform == NULL);
}

TEST(bad_platforms)
{
    INDEX_FAILS(NULL,
                "{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": \"" IMAGE_MEDIA_OCI_MANIFEST
                "\", \"digest\": \"" D_AMD64 "\", \"size\": 5, \"platform\": {\"os\": "
                "\"linux\", \"architecture\": \"amd64/../x\"}}]}",
                EBADMSG, "manifests[0].platform.architecture: invalid name 'amd64/../x'");
    INDEX_FAILS(NULL,
                "{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": \"" IMAGE_MEDIA_OCI_MANIFEST
                "\", \"digest\": \"" D_AMD64 "\", \"size\": 5, \"platform\": {\"os\": "
                "\"linux\", \"architecture\": \"arm\", \"variant\": \"\"}}]}",
                EBADMSG, "manifests[0].platform.variant: invalid name ''");
    INDEX_FAILS(NULL,
                "{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": \"" IMAGE_MEDIA_OCI_MANIFEST
                "\", \"digest\": \"" D_AMD64 "\", \"size\": 5, \"platform\": \"linux/amd64\"}]}",
                EBADMSG, "manifests[0].platform: not an object");
    INDEX_FAILS(NULL,
                "{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": \"" IMAGE_MEDIA_OCI_MANIFEST
                "\", \"digest\": \"" D_AMD64 "\", \"size\": 5, \"platform\": {\"os\": "
                "\"windows\", \"architecture\": \"amd64\", \"os.features\": [true]}}]}",
                EBADMSG, "manifests[0].platform.os.features: entry 0 is not a string");
}

/* --- platform selection --- */

static const char *select_digest(const struct image_index *ix, const char *platform, unsigned flags)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_platform want = {0};
    const struct image_descriptor *d;

    ASSERT_OK(image_platform_parse(platform, &want, &err), &err);
    d = image_index_select(ix, &want, REF, flags, &err);
    image_platform_clear(&want);
    if (d == NULL)
        UNIT_FAIL("select %s: %s", platform, err->msg);
    return d->digest;
}

static void select_fails(int line, const struct image_index *ix, const char *platform,
                         unsigned flags, const char *ref, const char *message)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_platform want = {0};
    const struct image_descriptor *d;

    ASSERT_OK(image_platform_parse(platform, &want, &err), &err);
    d = image_index_select(ix, &want, ref, flags, &err);
    image_platform_clear(&want);
    check_error(line, d, err, ENOENT, message);
    if (strcmp(err->msg, message) != 0)
        UNIT_FAIL("case at line %d: \"%s\" != \"%s\"", line, err->msg, message);
}

#define SELECT_FAILS(ix, platform, flags, ref, message) \
    select_fails(__LINE__, ix, platform, flags, ref, message)

TEST(select_exact_and_defaults)
{
    cleanup_with(image_index_freep) struct image_index *ix = index_ok(NULL, oci_index);

    ASSERT_STR_EQ(select_digest(ix, "linux/amd64", 0), D_AMD64);
    ASSERT_STR_EQ(select_digest(ix, "linux/arm64", 0), D_ARM64);
    ASSERT_STR_EQ(select_digest(ix, "linux/arm64/v8", 0), D_ARM64);
    /* No variant: v7 is preferred though v6 comes first in the index. */
    ASSERT_STR_EQ(select_digest(ix, "linux/arm", 0), D_ARMV7);
    ASSERT_STR_EQ(select_digest(ix, "linux/arm/v6", 0), D_ARMV6);
    ASSERT_STR_EQ(select_digest(ix, "linux/arm/v7", 0), D_ARMV7);
    /* A v8 ARM in 32-bit mode runs v7 code, but only when asked to be compatible. */
    ASSERT_STR_EQ(select_digest(ix, "linux/arm/v8", IMAGE_SELECT_COMPATIBLE), D_ARMV7);
    SELECT_FAILS(ix, "linux/arm/v8", 0, REF,
                 "no image for linux/arm/v8 in '" REF "': available: linux/amd64, linux/arm/v6, "
                 "linux/arm/v7, linux/arm64/v8");
    ASSERT_STR_EQ(select_digest(ix, "linux/x86_64", 0), D_AMD64);
}

TEST(select_not_found_lists_platforms)
{
    cleanup_with(image_index_freep) struct image_index *ix = index_ok(NULL, oci_index);
    cleanup_with(image_index_freep) struct image_index *list = index_ok(NULL, docker_list);

    /* Attestations (unknown/unknown) are neither chosen nor listed. */
    SELECT_FAILS(ix, "linux/s390x", 0, REF,
                 "no image for linux/s390x in '" REF "': available: linux/amd64, linux/arm/v6, "
                 "linux/arm/v7, linux/arm64/v8");
    SELECT_FAILS(ix, "unknown/unknown", 0, NULL,
                 "no image for unknown/unknown in the index: available: linux/amd64, "
                 "linux/arm/v6, linux/arm/v7, linux/arm64/v8");
    SELECT_FAILS(ix, "windows/amd64", 0, REF,
                 "no image for windows/amd64 in '" REF "': available: linux/amd64, linux/arm/v6, "
                 "linux/arm/v7, linux/arm64/v8");
    SELECT_FAILS(list, "linux/arm/v7", 0, "r",
                 "no image for linux/arm/v7 in 'r': available: linux/amd64, linux/arm64, "
                 "windows/amd64");
    SELECT_FAILS(ix, "linux/arm/v5", 0, "r",
                 "no image for linux/arm/v5 in 'r': available: linux/amd64, linux/arm/v6, "
                 "linux/arm/v7, linux/arm64/v8");
}

TEST(select_arm64_without_variant)
{
    cleanup_with(image_index_freep) struct image_index *ix = index_ok(NULL, docker_list);

    /* A missing arm64 variant is v8, whichever side leaves it out. */
    ASSERT_STR_EQ(select_digest(ix, "linux/arm64", 0), D_ARM64);
    ASSERT_STR_EQ(select_digest(ix, "linux/arm64/v8", 0), D_ARM64);
    ASSERT_STR_EQ(select_digest(ix, "linux/aarch64/8", 0), D_ARM64);
    ASSERT_STR_EQ(select_digest(ix, "linux/arm64/v8", IMAGE_SELECT_COMPATIBLE), D_ARM64);
    ASSERT_STR_EQ(select_digest(ix, "windows/amd64", 0), D_ATT1);
}

/* An index entry for linux/`arch`[/`variant`]. */
static char *entry_json(const char *digest, const char *arch, const char *variant)
{
    cleanup_free char *v = variant != NULL ? xasprintf(", \"variant\": \"%s\"", variant) : NULL;

    return xasprintf("{\"mediaType\": \"%s\", \"digest\": \"%s\", \"size\": 9, \"platform\": "
                     "{\"os\": \"linux\", \"architecture\": \"%s\"%s}}",
                     IMAGE_MEDIA_OCI_MANIFEST, digest, arch, v != NULL ? v : "");
}

static struct image_index *index_of3(const char *a, const char *b, const char *c)
{
    cleanup_free char *json =
            xasprintf("{\"schemaVersion\": 2, \"manifests\": [%s, %s, %s]}", a, b, c);

    return index_ok(NULL, json);
}

TEST(select_compatible_variants)
{
    cleanup_free char *a = entry_json(D_ARMV6, "arm", "v5");
    cleanup_free char *b = entry_json(D_ARMV7, "arm", "v7");
    cleanup_free char *c = entry_json(D_AMD64, "amd64", "v3");
    cleanup_with(image_index_freep) struct image_index *ix = index_of3(a, b, c);

    /* The host is v6: it cannot run v7, and v5 is the best it can. */
    ASSERT_STR_EQ(select_digest(ix, "linux/arm/v6", IMAGE_SELECT_COMPATIBLE), D_ARMV6);
    SELECT_FAILS(ix, "linux/arm/v6", 0, "r",
                 "no image for linux/arm/v6 in 'r': available: linux/arm/v5, linux/arm/v7, "
                 "linux/amd64/v3");
    ASSERT_STR_EQ(select_digest(ix, "linux/arm/v7", IMAGE_SELECT_COMPATIBLE), D_ARMV7);
    /* amd64 alone means the baseline, which cannot run v3 code. */
    SELECT_FAILS(ix, "linux/amd64", 0, "r",
                 "no image for linux/amd64 in 'r': available: linux/arm/v5, linux/arm/v7, "
                 "linux/amd64/v3");
    ASSERT_STR_EQ(select_digest(ix, "linux/amd64/v3", 0), D_AMD64);
    ASSERT_STR_EQ(select_digest(ix, "linux/amd64/v4", IMAGE_SELECT_COMPATIBLE), D_AMD64);
}

TEST(select_prefers_newest_compatible)
{
    cleanup_free char *a = entry_json(D_AMD64, "amd64", NULL);
    cleanup_free char *b = entry_json(D_ARM64, "amd64", "v2");
    cleanup_free char *c = entry_json(D_ARMV7, "amd64", "v3");
    cleanup_with(image_index_freep) struct image_index *ix = index_of3(a, b, c);

    ASSERT_STR_EQ(select_digest(ix, "linux/amd64", 0), D_AMD64);
    ASSERT_STR_EQ(select_digest(ix, "linux/amd64/v2", IMAGE_SELECT_COMPATIBLE), D_ARM64);
    ASSERT_STR_EQ(select_digest(ix, "linux/amd64/v3", IMAGE_SELECT_COMPATIBLE), D_ARMV7);
    ASSERT_STR_EQ(select_digest(ix, "linux/amd64/v1", 0), D_AMD64);
}

TEST(select_skips_what_is_not_an_image)
{
    /* An attestation with a real platform, a nested index, an entry without a platform and a
     * schema 1 entry come before the one that fits. */
    static const char json[] =
            "{\"schemaVersion\": 2, \"manifests\": ["
            "{\"mediaType\": \"" IMAGE_MEDIA_OCI_MANIFEST "\", \"digest\": \"" D_ATT1 "\", "
            "\"size\": 9, \"annotations\": {\"vnd.docker.reference.type\": "
            "\"attestation-manifest\"}, \"platform\": {\"os\": \"linux\", \"architecture\": "
            "\"riscv64\"}},"
            "{\"mediaType\": \"" IMAGE_MEDIA_OCI_INDEX "\", \"digest\": \"" D_ATT2 "\", "
            "\"size\": 9, \"platform\": {\"os\": \"linux\", \"architecture\": \"riscv64\"}},"
            "{\"mediaType\": \"" IMAGE_MEDIA_DOCKER_SCHEMA1_S "\", \"digest\": \"" D_ARM64 "\", "
            "\"size\": 9, \"platform\": {\"os\": \"linux\", \"architecture\": \"riscv64\"}},"
            "{\"mediaType\": \"" IMAGE_MEDIA_OCI_MANIFEST "\", \"digest\": \"" D_ARMV6 "\", "
            "\"size\": 9},"
            "{\"mediaType\": \"" IMAGE_MEDIA_OCI_MANIFEST "\", \"digest\": \"" D_AMD64 "\", "
            "\"size\": 9, \"platform\": {\"os\": \"linux\", \"architecture\": \"riscv64\"}}]}";
    static const char none[] =
            "{\"schemaVersion\": 2, \"manifests\": ["
            "{\"mediaType\": \"" IMAGE_MEDIA_OCI_MANIFEST "\", \"digest\": \"" D_ARMV6 "\", "
            "\"size\": 9}]}";
    cleanup_with(image_index_freep) struct image_index *ix = index_ok(NULL, json);
    cleanup_with(image_index_freep) struct image_index *empty = index_ok(NULL, none);

    ASSERT_STR_EQ(select_digest(ix, "linux/riscv64", 0), D_AMD64);
    /* Variants of architectures without levels compare as names. */
    SELECT_FAILS(ix, "linux/riscv64/rva23", 0, "r",
                 "no image for linux/riscv64/rva23 in 'r': available: linux/riscv64");
    SELECT_FAILS(empty, "linux/amd64", 0, "r", "no image for linux/amd64 in 'r': available: none");
}

TEST(select_error_names_at_most_32_platforms)
{
    cleanup_free char *json = xstrdup("{\"schemaVersion\": 2, \"manifests\": [");
    cleanup_with(image_index_freep) struct image_index *ix = NULL;
    cleanup_error struct ctr_error *err = NULL;
    struct image_platform want = {0};

    for (int i = 0; i < 40; i++) {
        char *longer = xasprintf("%s%s{\"mediaType\": \"%s\", \"digest\": \"%s\", \"size\": 1, "
                                 "\"platform\": {\"os\": \"os%d\", \"architecture\": \"a\"}}",
                                 json, i > 0 ? "," : "", IMAGE_MEDIA_OCI_MANIFEST, D_AMD64, i);

        free(json);
        json = longer;
    }
    {
        char *longer = xasprintf("%s]}", json);

        free(json);
        json = longer;
    }
    ix = index_ok(NULL, json);
    ASSERT_OK(image_platform_parse("linux/amd64", &want, &err), &err);
    ASSERT_TRUE(image_index_select(ix, &want, NULL, 0, &err) == NULL);
    image_platform_clear(&want);
    ASSERT_STR_CONTAINS(err->msg, "available: os0/a, os1/a, ");
    ASSERT_STR_CONTAINS(err->msg, "os31/a and 8 more");
}

TEST(platform_parse)
{
    static const struct {
        const char *in, *out;
    } good[] = {
            {"linux/amd64", "linux/amd64"},     {"linux/arm64/v8", "linux/arm64/v8"},
            {"linux/arm/v7", "linux/arm/v7"},   {"Linux/X86_64", "linux/amd64"},
            {"linux/aarch64", "linux/arm64"},   {"linux/arm64/8", "linux/arm64/v8"},
            {"linux/i686", "linux/386"},        {"linux/riscv64", "linux/riscv64"},
            {"windows/amd64", "windows/amd64"}, {"linux/ppc64le", "linux/ppc64le"},
    };
    static const char *const bad[] = {
            "",           "linux",          "linux/",
            "/amd64",     "linux//v7",      "linux/arm/v7/x",
            "linux/arm/", "linux/a b",      "linux/amd64\n",
            "../../x/y",  "linux/\xc3\xa9",
    };
    cleanup_error struct ctr_error *err = NULL;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct image_platform p = {0};
        cleanup_free char *s = NULL;

        ASSERT_OK(image_platform_parse(good[i].in, &p, &err), &err);
        s = image_platform_format(&p);
        ASSERT_STR_EQ(s, good[i].out);
        image_platform_clear(&p);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct image_platform p = {0};

        ASSERT_FAILS(image_platform_parse(bad[i], &p, &err), &err);
        ASSERT_INT_EQ(err->code, EINVAL);
        ASSERT_STR_CONTAINS(err->msg, "invalid platform '");
        ASSERT_STR_CONTAINS(err->msg, "expected OS/ARCH[/VARIANT], like 'linux/arm64/v8'");
        ASSERT_TRUE(p.os == NULL);
        ctr_error_clear(&err);
    }
}

TEST(platform_overrides)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_platform p = {0};
    cleanup_free char *s = NULL;

    /* What the caller does for --arch x86_64 after --platform linux/arm64/v8. */
    ASSERT_OK(image_platform_parse("linux/arm64/v8", &p, &err), &err);
    free(p.architecture);
    p.architecture = xstrdup("X86_64");
    free(p.variant);
    p.variant = NULL;
    image_platform_normalize(&p);
    s = image_platform_format(&p);
    ASSERT_STR_EQ(s, "linux/amd64");
    image_platform_clear(&p);
    image_platform_clear(NULL);
}

TEST(platform_from_machine)
{
    static const struct {
        const char *machine, *platform;
    } cases[] = {
            {"x86_64", "linux/amd64"},    {"aarch64", "linux/arm64/v8"},
            {"armv7l", "linux/arm/v7"},   {"armv6l", "linux/arm/v6"},
            {"armv5tel", "linux/arm/v5"}, {"armv8l", "linux/arm/v8"},
            {"i686", "linux/386"},        {"i386", "linux/386"},
            {"ppc64le", "linux/ppc64le"}, {"s390x", "linux/s390x"},
            {"riscv64", "linux/riscv64"}, {"loongarch64", "linux/loong64"},
    };
    static const char *const bad[] = {"mips", "", "armv4l", "sparc64", "x86_64 "};
    cleanup_error struct ctr_error *err = NULL;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct image_platform p = {0};
        cleanup_free char *s = NULL;

        ASSERT_OK(image_platform_from_machine(cases[i].machine, &p, &err), &err);
        s = image_platform_format(&p);
        ASSERT_STR_EQ(s, cases[i].platform);
        image_platform_clear(&p);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct image_platform p = {0};

        ASSERT_FAILS(image_platform_from_machine(bad[i], &p, &err), &err);
        ASSERT_INT_EQ(err->code, ENOTSUP);
        ASSERT_STR_CONTAINS(err->msg, "unsupported machine architecture '");
        ctr_error_clear(&err);
    }
}

TEST(platform_host)
{
    cleanup_error struct ctr_error *err = NULL;
    struct image_platform p = {0};

    if (image_platform_host(&p, &err) < 0)
        unit_skip(err->msg);
    ASSERT_STR_EQ(p.os, "linux");
    ASSERT_TRUE(p.architecture != NULL && p.architecture[0] != '\0');
#if defined(__x86_64__)
    ASSERT_STR_EQ(p.architecture, "amd64");
#elif defined(__aarch64__)
    ASSERT_STR_EQ(p.architecture, "arm64");
#endif
    image_platform_clear(&p);
}

/* --- configs --- */

TEST(oci_config)
{
    cleanup_with(image_config_freep) struct image_config *c = config_ok(oci_config);

    ASSERT_STR_EQ(c->architecture, "amd64");
    ASSERT_STR_EQ(c->os, "linux");
    ASSERT_TRUE(c->variant == NULL);
    ASSERT_INT_EQ(c->has_created, 1);
    ASSERT_INT_EQ(c->created, 1710408413);
    ASSERT_STR_EQ(c->user, "app:app");
    ASSERT_STR_EQ(c->env[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    ASSERT_STR_EQ(c->env[1], "APP_ENV=production");
    ASSERT_TRUE(c->env[2] == NULL);
    ASSERT_STR_EQ(c->entrypoint[0], "/usr/local/bin/app");
    ASSERT_TRUE(c->entrypoint[1] == NULL);
    ASSERT_STR_EQ(c->cmd[0], "--listen");
    ASSERT_STR_EQ(c->cmd[1], ":8080");
    ASSERT_TRUE(c->cmd[2] == NULL);
    ASSERT_STR_EQ(c->working_dir, "/srv/app");
    ASSERT_UINT_EQ(c->n_exposed_ports, 3);
    ASSERT_UINT_EQ(c->exposed_ports[0].port, 8080);
    ASSERT_STR_EQ(c->exposed_ports[0].protocol, "tcp");
    ASSERT_UINT_EQ(c->exposed_ports[1].port, 53);
    ASSERT_STR_EQ(c->exposed_ports[1].protocol, "udp");
    ASSERT_UINT_EQ(c->exposed_ports[2].port, 9000);
    ASSERT_STR_EQ(c->exposed_ports[2].protocol, "tcp");
    ASSERT_STR_EQ(c->volumes[0], "/var/lib/app");
    ASSERT_TRUE(c->volumes[1] == NULL);
    ASSERT_UINT_EQ(c->n_labels, 2);
    ASSERT_STR_EQ(image_kv_get(c->labels, c->n_labels, "maintainer"), "ops@example.com");
    ASSERT_STR_EQ(c->stop_signal, "SIGINT");
    ASSERT_UINT_EQ(c->n_diff_ids, 3);
    ASSERT_STR_EQ(c->diff_ids[2], D_DIFF3);
    ASSERT_TRUE(c->diff_ids[3] == NULL);
    ASSERT_UINT_EQ(c->n_history, 5);
    ASSERT_UINT_EQ(c->n_history_layers, 3);
}

TEST(docker_config)
{
    cleanup_with(image_config_freep) struct image_config *c = config_ok(docker_config);

    ASSERT_STR_EQ(c->architecture, "arm");
    ASSERT_STR_EQ(c->variant, "v7");
    /* 19:20:20.894140623+02:00 is 17:20:20 UTC. */
    ASSERT_INT_EQ(c->created, 1691428820);
    ASSERT_STR_EQ(c->user, "");
    ASSERT_TRUE(c->entrypoint == NULL);
    ASSERT_STR_EQ(c->cmd[0], "/bin/sh");
    ASSERT_TRUE(c->volumes == NULL);
    ASSERT_UINT_EQ(c->n_labels, 0);
    ASSERT_UINT_EQ(c->n_exposed_ports, 0);
    ASSERT_TRUE(c->stop_signal == NULL);
    ASSERT_UINT_EQ(c->n_diff_ids, 1);
    ASSERT_UINT_EQ(c->n_history, 1);
}

TEST(minimal_config)
{
    /* `ENTRYPOINT []` resets it: an empty list, not an absent one. */
    static const char json[] = "{\"architecture\": \"riscv64\", \"os\": \"linux\", \"config\": "
                               "{\"Entrypoint\": [], \"Cmd\": null}, \"rootfs\": {\"type\": "
                               "\"layers\", \"diff_ids\": []}, \"history\": null}";
    cleanup_with(image_config_freep) struct image_config *c = config_ok(json);

    ASSERT_TRUE(c->entrypoint != NULL && c->entrypoint[0] == NULL);
    ASSERT_TRUE(c->cmd == NULL);
    ASSERT_TRUE(c->env == NULL);
    ASSERT_TRUE(c->user == NULL);
    ASSERT_INT_EQ(c->has_created, 0);
    ASSERT_UINT_EQ(c->n_diff_ids, 0);
    ASSERT_TRUE(c->diff_ids != NULL && c->diff_ids[0] == NULL);
    ASSERT_UINT_EQ(c->n_history, 0);
}

TEST(config_errors)
{
    cleanup_free char *no_type = config_with("{\"diff_ids\": []}", "null");
    cleanup_free char *tarsum = config_with("{\"type\": \"tarsum\", \"diff_ids\": []}", "null");
    cleanup_free char *no_diffs = config_with("{\"type\": \"layers\"}", "null");
    cleanup_free char *rootfs_array = config_with("[]", "null");
    cleanup_free char *diffs_obj = config_with("{\"type\": \"layers\", \"diff_ids\": {}}", "null");

    CONFIG_FAILS("{\"os\": \"linux\", \"rootfs\": " GOOD_ROOTFS "}", EBADMSG,
                 "invalid image config: architecture: missing");
    CONFIG_FAILS("{\"architecture\": \"amd64\", \"rootfs\": " GOOD_ROOTFS "}", EBADMSG,
                 "os: missing");
    CONFIG_FAILS("{\"architecture\": 64, \"os\": \"linux\", \"rootfs\": " GOOD_ROOTFS "}", EBADMSG,
                 "architecture: not a string");
    CONFIG_FAILS("{\"architecture\": \"amd64\", \"os\": \"linux\"}", EBADMSG, "rootfs: missing");
    CONFIG_FAILS(no_type, EBADMSG, "rootfs.type: missing");
    CONFIG_FAILS(tarsum, ENOTSUP, "rootfs.type: 'tarsum' is not supported (expected 'layers')");
    CONFIG_FAILS(no_diffs, EBADMSG, "rootfs.diff_ids: missing");
    CONFIG_FAILS(rootfs_array, EBADMSG, "rootfs: not an object");
    CONFIG_FAILS(diffs_obj, EBADMSG, "rootfs.diff_ids: not an array");
    CONFIG_FAILS("[1, 2]", EBADMSG, "not a JSON object");
    CONFIG_FAILS("{\"architecture\": \"amd64\", \"os\": \"linux\", \"created\": \"yesterday\", "
                 "\"rootfs\": " GOOD_ROOTFS "}",
                 EBADMSG, "created: invalid time 'yesterday'");
    CONFIG_FAILS("{\"architecture\": \"amd64\", \"os\": \"linux\", \"rootfs\": " GOOD_ROOTFS
                 ", \"history\": [{}, 5]}",
                 EBADMSG, "history[1]: not an object");
    CONFIG_FAILS("{\"architecture\": \"amd64\", \"os\": \"linux\", \"rootfs\": " GOOD_ROOTFS
                 ", \"history\": [{\"empty_layer\": \"yes\"}]}",
                 EBADMSG, "history[0].empty_layer: not a boolean");
    CONFIG_FAILS("{\"architecture\": \"amd64\", \"os\": \"linux\", \"rootfs\": " GOOD_ROOTFS
                 ", \"history\": {}}",
                 EBADMSG, "history: not an array");
    EXEC_CONFIG_FAILS("[]", EBADMSG, "config: not an object");
    EXEC_CONFIG_FAILS("{\"Env\": \"PATH=/bin\"}", EBADMSG, "config.Env: not an array");
    EXEC_CONFIG_FAILS("{\"Env\": [\"A=1\", 2]}", EBADMSG, "config.Env: entry 1 is not a string");
    EXEC_CONFIG_FAILS("{\"Cmd\": \"/bin/sh\"}", EBADMSG, "config.Cmd: not an array");
    EXEC_CONFIG_FAILS("{\"Entrypoint\": [null]}", EBADMSG, "config.Entrypoint: entry 0");
    EXEC_CONFIG_FAILS("{\"User\": 0}", EBADMSG, "config.User: not a string");
    EXEC_CONFIG_FAILS("{\"WorkingDir\": []}", EBADMSG, "config.WorkingDir: not a string");
    EXEC_CONFIG_FAILS("{\"StopSignal\": 15}", EBADMSG, "config.StopSignal: not a string");
    EXEC_CONFIG_FAILS("{\"Labels\": {\"a\": null}}", EBADMSG,
                      "config.Labels: value of 'a' is not a string");
    EXEC_CONFIG_FAILS("{\"Volumes\": [\"/data\"]}", EBADMSG, "config.Volumes: not an object");
    EXEC_CONFIG_FAILS("{\"Volumes\": {\"/data\": 1}}", EBADMSG,
                      "config.Volumes: value of '/data' is not an object");
    EXEC_CONFIG_FAILS("{\"ExposedPorts\": [\"80/tcp\"]}", EBADMSG,
                      "config.ExposedPorts: not an object");
}

TEST(exposed_ports)
{
    static const char *const bad[] = {
            "http",          "0/tcp",   "65536/tcp", "80/icmp",    "80/",        "/tcp",
            "8000-8010/tcp", "+80/tcp", " 80/tcp",   "123456/udp", "80/tcp/udp", "",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cleanup_free char *cfg = xasprintf("{\"ExposedPorts\": {\"%s\": {}}}", bad[i]);
        cleanup_free char *needle = xasprintf(
                "config.ExposedPorts: invalid port '%s': expected PORT[/tcp|udp|sctp]", bad[i]);

        EXEC_CONFIG_FAILS(cfg, EBADMSG, needle);
    }
    {
        cleanup_free char *json = config_with(
                GOOD_ROOTFS, "{\"ExposedPorts\": {\"65535/SCTP\": {}, \"1/udp\": null}}");
        cleanup_with(image_config_freep) struct image_config *c = config_ok(json);

        ASSERT_UINT_EQ(c->n_exposed_ports, 2);
        ASSERT_UINT_EQ(c->exposed_ports[0].port, 65535);
        ASSERT_STR_EQ(c->exposed_ports[0].protocol, "sctp");
        ASSERT_UINT_EQ(c->exposed_ports[1].port, 1);
    }
}

TEST(config_layer_limit)
{
    cleanup_free char *diffs = xstrdup("");
    cleanup_free char *rootfs = NULL, *json = NULL;

    for (int i = 0; i <= IMAGE_LAYERS_MAX; i++) {
        char *longer = xasprintf("%s%s\"%s\"", diffs, i > 0 ? "," : "", D_DIFF1);

        free(diffs);
        diffs = longer;
    }
    rootfs = xasprintf("{\"type\": \"layers\", \"diff_ids\": [%s]}", diffs);
    json = config_with(rootfs, "{}");
    CONFIG_FAILS(json, EBADMSG, "rootfs.diff_ids: 1001 entries, more than the limit of 1000");
}

TEST(config_check_manifest)
{
    cleanup_with(image_config_freep) struct image_config *c = config_ok(oci_config);
    cleanup_with(image_config_freep) struct image_config *d = config_ok(docker_config);
    cleanup_with(image_manifest_freep) struct image_manifest *m = manifest_ok(NULL, oci_manifest);
    cleanup_error struct ctr_error *err = NULL;

    ASSERT_OK(image_config_check_manifest(c, m, &err), &err);
    ASSERT_FAILS(image_config_check_manifest(d, m, &err), &err);
    ASSERT_INT_EQ(err->code, EBADMSG);
    ASSERT_STR_EQ(err->msg,
                  "the image config lists 1 layers (rootfs.diff_ids) but the manifest has 3");
}

TEST(time_parse)
{
    static const struct {
        const char *in;
        long long out;
    } good[] = {
            {"1970-01-01T00:00:00Z", 0},
            {"2015-10-31T22:22:56.015925234Z", 1446330176},
            {"2015-10-31t22:22:56z", 1446330176},
            {"2015-10-31 22:22:56Z", 1446330176},
            {"2023-06-01T12:00:00+02:00", 1685613600},
            {"2023-06-01T12:00:00.5-05:30", 1685640600},
            {"2024-02-29T00:00:00Z", 1709164800},
            {"2016-12-31T23:59:60Z", 1483228800},
            {"2000-03-01T00:00:00.000000000000000001Z", 951868800},
            {"0001-01-01T00:00:00Z", -62135596800LL},
            {"9999-12-31T23:59:59Z", 253402300799LL},
            {"1969-12-31T23:59:59Z", -1},
    };
    static const char *const bad[] = {
            "",
            "2023-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-00-01T00:00:00Z",
            "2023-04-31T00:00:00Z",
            "2023-01-01",
            "2023-01-01T00:00:00",
            "2023-01-01T00:00Z",
            "2023-01-01T00:00:00.Z",
            "2023-01-01T24:00:00Z",
            "2023-01-01T23:60:00Z",
            "2023-01-01T00:00:61Z",
            "2023-01-01T00:00:00+0200",
            "2023-01-01T00:00:00+24:00",
            "2023-01-01T00:00:00+02:60",
            "2023-01-01T00:00:00Zjunk",
            "2023-01-01T00:00:00 Z",
            "0000-01-01T00:00:00Z",
            "23-01-01T00:00:00Z",
            "+2023-01-01T00:00:00Z",
            "2023-1-01T00:00:00Z",
            "Mon, 02 Jan 2006 15:04:05 MST",
    };
    cleanup_error struct ctr_error *err = NULL;

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        time_t t = 42;

        if (image_time_parse(good[i].in, &t, &err) < 0)
            UNIT_FAIL("'%s': %s", good[i].in, err->msg);
        if ((long long)t != good[i].out)
            UNIT_FAIL("'%s': %lld, expected %lld", good[i].in, (long long)t, good[i].out);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        time_t t = 42;

        if (image_time_parse(bad[i], &t, &err) == 0)
            UNIT_FAIL("'%s' parsed as %lld", bad[i], (long long)t);
        ASSERT_INT_EQ(t, 42);
        ASSERT_INT_EQ(err->code, EBADMSG);
        ASSERT_STR_CONTAINS(err->msg, "invalid time '");
        ASSERT_STR_CONTAINS(err->msg, "expected RFC 3339");
        ctr_error_clear(&err);
    }
}
