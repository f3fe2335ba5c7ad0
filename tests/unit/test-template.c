/* SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>
#include <string.h>

#include "cleanup.h"
#include "template.h"
#include "unit.h"

static const char *const obj_json =
        "{\"ID\":\"0123456789abcdef\",\"Names\":[\"web\",\"db\"],\"Size\":1024,\"Neg\":-7,"
        "\"Ratio\":1.5,\"Running\":true,\"Paused\":false,\"Gone\":null,\"Empty\":\"\","
        "\"Image\":\"docker.io/library/Alpine:3.19\",\"Ports\":[80,443],\"NoNames\":[],"
        "\"Labels\":{\"b\":\"2\",\"a\":\"1\"},\"Config\":{\"User\":\"root\",\"Env\":{\"HOME\":\"/"
        "root\"}},\"Mixed\":[\"a\",1],\"Unicode\":\"h\\u00e9llo \\u4e16\\u754c\","
        "\"CreatedAt\":\"2024-01-02\",\"Html\":\"<a&b>\",\"Nul\":\"a\\u0000b\"}";

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);

    if (v == NULL)
        UNIT_FAIL("bad test JSON: %s", jerr.text);
    return v;
}

/* Parses and renders `format` against obj_json; the result must be `want`. */
static void expect_render(const char *format, const char *want)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_template *t = NULL;
    cleanup_free char *out = NULL;
    json_t *obj = load(obj_json);

    if (ctr_template_parse(format, &t, NULL, &err) < 0)
        UNIT_FAIL("parse '%s': %s", format, err->msg);
    out = ctr_template_render(t, obj, &err);
    if (out == NULL)
        UNIT_FAIL("render '%s': %s", format, err->msg);
    if (strcmp(out, want) != 0)
        UNIT_FAIL("render '%s': got \"%s\", want \"%s\"", format, out, want);
    ctr_template_free(t);
    json_decref(obj);
}

/* `format` must fail to parse with exactly `msg`. */
static void expect_parse_error(const char *format, const char *msg)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_template *t = (struct ctr_template *)&err; /* must stay untouched */
    int table = 42;

    if (ctr_template_parse(format, &t, &table, &err) != -1)
        UNIT_FAIL("parse '%s' succeeded, expected \"%s\"", format, msg);
    if (err == NULL)
        UNIT_FAIL("parse '%s' returned -1 without an error", format);
    if (strcmp(err->msg, msg) != 0)
        UNIT_FAIL("parse '%s': got \"%s\", want \"%s\"", format, err->msg, msg);
    ASSERT_INT_EQ(err->code, EINVAL);
    ASSERT_TRUE(t == (struct ctr_template *)&err);
    ASSERT_INT_EQ(table, 42);
}

/* `format` parses but rendering against obj_json fails with exactly `msg`. */
static void expect_render_error(const char *format, const char *msg)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_template *t = NULL;
    json_t *obj = load(obj_json);

    if (ctr_template_parse(format, &t, NULL, &err) < 0)
        UNIT_FAIL("parse '%s': %s", format, err->msg);
    if (ctr_template_render(t, obj, &err) != NULL)
        UNIT_FAIL("render '%s' succeeded, expected \"%s\"", format, msg);
    if (err == NULL)
        UNIT_FAIL("render '%s' returned NULL without an error", format);
    if (strcmp(err->msg, msg) != 0)
        UNIT_FAIL("render '%s': got \"%s\", want \"%s\"", format, err->msg, msg);
    ctr_template_free(t);
    json_decref(obj);
}

static void expect_header(const char *format, const char *(*headers)(const char *),
                          const char *want)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_template *t = NULL;
    cleanup_free char *out = NULL;
    int table = 0;

    ASSERT_OK(ctr_template_parse(format, &t, &table, &err), &err);
    ASSERT_INT_EQ(table, 1);
    out = ctr_template_header(t, headers);
    if (out == NULL || strcmp(out, want) != 0)
        UNIT_FAIL("header '%s': got \"%s\", want \"%s\"", format, out ? out : "(null)", want);
    ctr_template_free(t);
}

TEST(literal_text)
{
    expect_render("", "");
    expect_render("plain text", "plain text");
    expect_render("a}}b{", "a}}b{");
    expect_render("single { brace", "single { brace");
}

TEST(escapes_in_literals)
{
    expect_render("a\\tb\\nc", "a\tb\nc");
    expect_render("{{.Size}}\\t{{.Neg}}\\n", "1024\t-7\n");
    /* Only \t and \n, as Podman replaces them; other backslashes stay. */
    expect_render("a\\rb\\\\c\\", "a\\rb\\\\c\\");
    expect_render("\\\\t", "\\\t");
    /* A real tab or newline passes through. */
    expect_render("a\tb\n", "a\tb\n");
}

TEST(fields)
{
    expect_render("{{.ID}}", "0123456789abcdef");
    expect_render("{{ .ID }}", "0123456789abcdef");
    expect_render("{{\t.ID\n}}", "0123456789abcdef");
    expect_render("id={{.ID}} size={{.Size}}", "id=0123456789abcdef size=1024");
    expect_render("{{.Config.User}}", "root");
    expect_render("{{.Config.Env.HOME}}", "/root");
    expect_render("{{.Empty}}", "");
    expect_render("{{.ID}}{{.ID}}", "0123456789abcdef0123456789abcdef");
}

TEST(value_types)
{
    expect_render("{{.Size}}", "1024");
    expect_render("{{.Neg}}", "-7");
    expect_render("{{.Ratio}}", "1.5");
    expect_render("{{.Running}} {{.Paused}}", "true false");
    expect_render("{{.Gone}}", "<no value>");
    expect_render("{{.Names}}", "[web db]");
    expect_render("{{.NoNames}}", "[]");
    expect_render("{{.Ports}}", "[80,443]");
    expect_render("{{.Mixed}}", "[\"a\",1]");
    expect_render("{{.Labels}}", "{\"b\":\"2\",\"a\":\"1\"}");
    expect_render("{{.Unicode}}", "h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c");
    expect_render("{{.Html}}", "<a&b>");
}

static void expect_real(const char *json, const char *want)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_template *t = NULL;
    cleanup_free char *out = NULL;
    json_t *v = load(json);

    ASSERT_OK(ctr_template_parse("{{.}}", &t, NULL, &err), &err);
    out = ctr_template_render(t, v, &err);
    ASSERT_OK(out, &err);
    if (strcmp(out, want) != 0)
        UNIT_FAIL("real %s: got \"%s\", want \"%s\"", json, out, want);
    ctr_template_free(t);
    json_decref(v);
}

TEST(reals_as_go_prints_them)
{
    /* fmt.Println(float64) output for each. */
    expect_real("1.5", "1.5");
    expect_real("0.1", "0.1");
    expect_real("1.0", "1");
    expect_real("-0.0", "-0");
    expect_real("100000.0", "100000");
    expect_real("123456.0", "123456");
    expect_real("1e6", "1e+06");
    expect_real("1234567.5", "1.2345675e+06");
    expect_real("0.0001", "0.0001");
    expect_real("0.00001", "1e-05");
    expect_real("1e21", "1e+21");
    expect_real("3.141592653589793", "3.141592653589793");
    expect_real("-2.5e-10", "-2.5e-10");
    expect_real("1.7976931348623157e308", "1.7976931348623157e+308");
}

TEST(dot)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_template *t = NULL;
    cleanup_free char *a = NULL, *b = NULL, *c = NULL;
    json_t *s = json_string("just a string");

    ASSERT_OK(ctr_template_parse("[{{.}}]", &t, NULL, &err), &err);
    a = ctr_template_render(t, s, &err);
    ASSERT_OK(a, &err);
    ASSERT_STR_EQ(a, "[just a string]");
    /* NULL renders against JSON null. */
    b = ctr_template_render(t, NULL, &err);
    ASSERT_OK(b, &err);
    ASSERT_STR_EQ(b, "[<no value>]");
    ctr_template_free(t);
    json_decref(s);

    ASSERT_OK(ctr_template_parse("{{json .}}", &t, NULL, &err), &err);
    s = load("{\"z\":1,\"a\":[true,null]}");
    c = ctr_template_render(t, s, &err);
    ASSERT_OK(c, &err);
    ASSERT_STR_EQ(c, "{\"z\":1,\"a\":[true,null]}");
    ctr_template_free(t);
    json_decref(s);
}

TEST(json_function)
{
    expect_render("{{json .ID}}", "\"0123456789abcdef\"");
    expect_render("{{json .Names}}", "[\"web\",\"db\"]");
    expect_render("{{json .Size}}", "1024");
    expect_render("{{json .Gone}}", "null");
    expect_render("{{json .Running}}", "true");
    expect_render("{{json .Labels}}", "{\"b\":\"2\",\"a\":\"1\"}");
    expect_render("{{json .Config}}", "{\"User\":\"root\",\"Env\":{\"HOME\":\"/root\"}}");
    /* Podman turns HTML escaping off and Go does not escape non-ASCII. */
    expect_render("{{json .Html}}", "\"<a&b>\"");
    expect_render("{{json .Unicode}}", "\"h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c\"");
    expect_render("{{json .Nul}}", "\"a\\u0000b\"");
    expect_render("{{json \"tab\\there\"}}", "\"tab\\there\"");
    expect_render("{{json (json .Size)}}", "\"1024\"");
}

TEST(json_of_whole_object)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_template *t = NULL;
    cleanup_free char *out = NULL, *want = NULL;
    json_t *obj = load(obj_json);

    ASSERT_OK(ctr_template_parse("{{json .}}", &t, NULL, &err), &err);
    out = ctr_template_render(t, obj, &err);
    ASSERT_OK(out, &err);
    want = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ASSERT_STR_EQ(out, want);
    ASSERT_TRUE(strncmp(out, "{\"ID\":", 6) == 0);
    ctr_template_free(t);
    json_decref(obj);
}

TEST(upper_lower)
{
    expect_render("{{upper .Image}}", "DOCKER.IO/LIBRARY/ALPINE:3.19");
    expect_render("{{lower .Image}}", "docker.io/library/alpine:3.19");
    expect_render("{{upper .Empty}}", "");
    /* ASCII only: non-ASCII bytes pass through untouched. */
    expect_render("{{upper .Unicode}}", "H\xc3\xa9LLO \xe4\xb8\x96\xe7\x95\x8c");
    expect_render("{{upper \"a\" }}", "A");
}

TEST(truncate)
{
    expect_render("{{truncate .ID 12}}", "0123456789ab");
    expect_render("{{truncate .ID 0}}", "");
    expect_render("{{truncate .ID 16}}", "0123456789abcdef");
    expect_render("{{truncate .ID 100}}", "0123456789abcdef");
    expect_render("{{truncate .ID +3}}", "012");
    expect_render("{{truncate .ID .Size}}", "0123456789abcdef");
    /* Never cuts a UTF-8 character in two: "h\xc3\xa9" is 3 bytes, 2 would split the e. */
    expect_render("{{truncate .Unicode 2}}", "h");
    expect_render("{{truncate .Unicode 3}}", "h\xc3\xa9");
    expect_render("{{truncate .Unicode 9}}", "h\xc3\xa9llo ");
}

TEST(join)
{
    expect_render("{{join .Names \", \"}}", "web, db");
    expect_render("{{join .Names \"\"}}", "webdb");
    expect_render("{{join .Names `\\n`}}", "web\\ndb");
    expect_render("{{join .Names \"\\n\"}}", "web\ndb");
    expect_render("{{join .NoNames \",\"}}", "");
    expect_render("{{upper (join .Names \"+\")}}", "WEB+DB");
}

TEST(index)
{
    expect_render("{{index .Labels \"a\"}}", "1");
    expect_render("{{index .Config.Env \"HOME\"}}", "/root");
    /* A member the object lacks is "", as Go's index of a map[string]string gives. */
    expect_render("{{index .Labels \"nope\"}}", "");
    expect_render("[{{index .Labels \"a\\u0000b\"}}]", "[]");
    expect_render("{{index .Names 1}}", "db");
    expect_render("{{index .Ports 0}}", "80");
    expect_render("{{index .Names 0 | upper}}", "WEB");
    expect_render("{{upper (index .Names 0)}}", "WEB");
    expect_render("{{json (index .Config \"Env\")}}", "{\"HOME\":\"/root\"}");
}

TEST(index_of_dotted_label)
{
    /* The reason for index: {{.Labels.org.example.version}} reads nested members. */
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_template *t = NULL;
    cleanup_free char *out = NULL;
    json_t *obj = load("{\"Labels\":{\"org.example.version\":\"1.2\"}}");

    ASSERT_OK(ctr_template_parse("{{index .Labels \"org.example.version\"}}", &t, NULL, &err),
              &err);
    out = ctr_template_render(t, obj, &err);
    ASSERT_OK(out, &err);
    ASSERT_STR_EQ(out, "1.2");
    ctr_template_free(t);
    json_decref(obj);
}

TEST(len)
{
    expect_render("{{len .Names}}", "2");
    expect_render("{{len .NoNames}}", "0");
    expect_render("{{len .Labels}}", "2");
    expect_render("{{len .ID}}", "16");
    /* Bytes, as Go's len of a string counts. */
    expect_render("{{len .Unicode}}", "13");
    expect_render("{{.Names | len}}", "2");
}

TEST(index_and_len_errors)
{
    expect_render_error("{{index .Names 2}}", "template: index: index 2 out of range (length 2)");
    expect_render_error("{{index .Names -1}}", "template: index: index -1 out of range (length 2)");
    expect_render_error("{{index .Names \"a\"}}",
                        "template: index: expected an integer index for an array, got string");
    expect_render_error("{{index .Labels 1}}",
                        "template: index: expected a string key for an object, got integer");
    expect_render_error("{{index .ID 1}}",
                        "template: index: expected an array or an object, got string");
    expect_render_error("{{index .Gone \"a\"}}",
                        "template: index: expected an array or an object, got null");
    expect_render_error("{{len .Size}}",
                        "template: len: expected a string, an array or an object, got integer");
    expect_render_error("{{len .Gone}}",
                        "template: len: expected a string, an array or an object, got null");
    expect_parse_error(
            "{{index .Names}}",
            "template: wrong number of arguments for 'index': want 2, got 1 at offset 2");
    expect_parse_error("{{len}}",
                       "template: wrong number of arguments for 'len': want 1, got 0 at offset 2");
}

TEST(pipes_and_parentheses)
{
    expect_render("{{.Image | upper}}", "DOCKER.IO/LIBRARY/ALPINE:3.19");
    expect_render("{{.Image|upper|lower}}", "docker.io/library/alpine:3.19");
    expect_render("{{.Names | json}}", "[\"web\",\"db\"]");
    expect_render("{{.Labels | json | upper}}", "{\"B\":\"2\",\"A\":\"1\"}");
    expect_render("{{\",\" | join .Names}}", "web,db");
    expect_render("{{ (.ID) }}", "0123456789abcdef");
    expect_render("{{upper (truncate .Image 6)}}", "DOCKER");
    expect_render("{{truncate (upper .Image) (.Size)}}", "DOCKER.IO/LIBRARY/ALPINE:3.19");
    expect_render("{{(json (.Config.Env))}}", "{\"HOME\":\"/root\"}");
    /* As in Go, the piped value is the last argument: truncate 4 .ID, the wrong way round. */
    expect_render_error("{{.ID | truncate 4}}", "template: truncate: expected a string, got "
                                                "integer");
}

TEST(string_literals)
{
    expect_render("{{\"x}}y\"}}", "x}}y");
    expect_render("{{`raw \\t {{ }}`}}", "raw \\t {{ }}");
    expect_render("{{\"\\a\\b\\f\\n\\r\\t\\v\\\\\\\"\"}}", "\a\b\f\n\r\t\v\\\"");
    expect_render("{{\"\\u00e9\\U0001F600\"}}", "\xc3\xa9\xf0\x9f\x98\x80");
    expect_render("{{\"\"}}", "");
    expect_render("{{`a\r\nb`}}", "a\nb");
}

TEST(other_literals)
{
    expect_render("{{42}}", "42");
    expect_render("{{-42}}", "-42");
    expect_render("{{ -42 }}", "-42");
    expect_render("{{true}} {{false}}", "true false");
    expect_render("{{9223372036854775807}}", "9223372036854775807");
}

TEST(trim_markers)
{
    expect_render("a  {{- .Size -}}  b", "a1024b");
    expect_render("a \t\n{{- .Size}} b", "a1024 b");
    expect_render("a {{.Size -}} \n b", "a 1024b");
    /* Trimming applies after "\n" became a newline, as in Podman. */
    expect_render("a\\n{{- .Size -}}\\n\\tb", "a1024b");
    /* Without the space "{{-" starts a number, not a trim marker. */
    expect_render("a {{-3}} b", "a -3 b");
    /* Trimming may swallow a whole literal. */
    expect_render("{{.Size -}}   {{- .Neg}}", "1024-7");
    expect_render("  {{- .Size}}", "1024");
}

TEST(comments)
{
    expect_render("a{{/* a comment with }} in it */}}b", "ab");
    expect_render("a {{- /* trimmed */ -}} b", "ab");
    expect_render("{{/*\nmultiline\n*/}}x", "x");
}

TEST(table_prefix)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_template *t = NULL;
    cleanup_free char *out = NULL;
    json_t *obj = load(obj_json);
    int table = -1;

    ASSERT_OK(ctr_template_parse("table {{.Size}}\\t{{.Running}}", &t, &table, &err), &err);
    ASSERT_INT_EQ(table, 1);
    out = ctr_template_render(t, obj, &err);
    ASSERT_OK(out, &err);
    ASSERT_STR_EQ(out, "1024\ttrue");
    ctr_template_free(t);

    ASSERT_OK(ctr_template_parse("{{.Size}} table ", &t, &table, &err), &err);
    ASSERT_INT_EQ(table, 0);
    ctr_template_free(t);
    ASSERT_OK(ctr_template_parse("table{{.Size}}", &t, &table, &err), &err);
    ASSERT_INT_EQ(table, 0);
    ctr_template_free(t);
    json_decref(obj);
}

TEST(unclosed_action)
{
    expect_parse_error("ID:    {{.ID", "template: unclosed action at offset 7");
    expect_parse_error("{{", "template: unclosed action at offset 0");
    expect_parse_error("{{.ID}", "template: unexpected '}' at offset 5");
    expect_parse_error("{{.ID}}{{ ", "template: unclosed action at offset 7");
    expect_parse_error("{{json (.ID", "template: unclosed action at offset 0");
    /* Offsets count the "table " prefix the user typed. */
    expect_parse_error("table {{.ID", "template: unclosed action at offset 6");
}

TEST(unknown_function)
{
    expect_parse_error("{{foo .ID}}", "template: unknown function 'foo' at offset 2");
    expect_parse_error("x {{ printf \"%s\" .ID}}",
                       "template: unknown function 'printf' at offset 5");
    expect_parse_error("{{slice .Names 1}}", "template: unknown function 'slice' at offset 2");
}

TEST(control_actions_rejected)
{
    expect_parse_error("{{range .Names}}{{.}}{{end}}",
                       "template: 'range' is not supported at offset 2");
    expect_parse_error("{{- range .Names}}", "template: 'range' is not supported at offset 4");
    expect_parse_error("{{if .Running}}x{{end}}", "template: 'if' is not supported at offset 2");
    expect_parse_error("{{end}}", "template: 'end' is not supported at offset 2");
    expect_parse_error("{{with .Config}}{{end}}", "template: 'with' is not supported at offset 2");
    expect_parse_error("{{template \"x\"}}", "template: 'template' is not supported at offset 2");
    expect_parse_error("{{nil}}", "template: 'nil' is not supported at offset 2");
    expect_parse_error("{{$x := .ID}}", "template: variables are not supported at offset 2");
    expect_parse_error("{{$.ID}}", "template: variables are not supported at offset 2");
}

TEST(malformed_actions)
{
    expect_parse_error("{{}}", "template: missing value for command at offset 2");
    expect_parse_error("{{ }}", "template: missing value for command at offset 3");
    expect_parse_error("{{- -}}", "template: missing value for command at offset 4");
    expect_parse_error("{{.ID | }}", "template: missing value for command at offset 8");
    expect_parse_error("{{| upper}}", "template: missing value for command at offset 2");
    expect_parse_error("{{.ID .Size}}", "template: can't give an argument to a non-function at "
                                        "offset 2");
    expect_parse_error("{{.ID | .Size}}",
                       "template: non-executable command in pipeline stage 2 at offset 8");
    expect_parse_error("{{.ID-}}", "template: unexpected '-' at offset 5");
    expect_parse_error("{{.ID\"x\"}}", "template: unexpected '\"' at offset 5");
    expect_parse_error("{{.ID.}}", "template: unexpected '.' at offset 5");
    expect_parse_error("{{@}}", "template: unexpected '@' at offset 2");
    expect_parse_error("{{\x01}}", "template: unexpected byte 0x01 at offset 2");
    expect_parse_error("{{.ID)}}", "template: unexpected ')' at offset 5");
    expect_parse_error("{{(.ID}}", "template: unclosed left parenthesis at offset 2");
    expect_parse_error("{{()}}", "template: missing value for command at offset 3");
}

TEST(wrong_arity)
{
    expect_parse_error("{{json}}",
                       "template: wrong number of arguments for 'json': want 1, got 0 at offset 2");
    expect_parse_error("{{json .ID .ID}}",
                       "template: wrong number of arguments for 'json': want 1, got 2 at offset 2");
    expect_parse_error("{{truncate .ID}}", "template: wrong number of arguments for 'truncate': "
                                           "want 2, got 1 at offset 2");
    expect_parse_error("{{.ID | truncate 1 2}}", "template: wrong number of arguments for "
                                                 "'truncate': want 2, got 3 at offset 8");
    expect_parse_error("{{join .Names}}",
                       "template: wrong number of arguments for 'join': want 2, got 1 at offset 2");
    /* A function named as an argument is called with no arguments, as Go does. */
    expect_parse_error("{{upper json}}",
                       "template: wrong number of arguments for 'json': want 1, got 0 at offset 8");
}

TEST(bad_literals)
{
    expect_parse_error("{{\"abc}}", "template: unterminated quoted string at offset 2");
    expect_parse_error("{{\"a\nb\"}}", "template: unterminated quoted string at offset 2");
    expect_parse_error("{{`abc}}", "template: unterminated raw quoted string at offset 2");
    expect_parse_error("{{\"\\q\"}}", "template: invalid escape in quoted string at offset 3");
    expect_parse_error("{{\"\\u12\"}}", "template: invalid escape in quoted string at offset 3");
    expect_parse_error("{{\"\\ud800\"}}", "template: invalid escape in quoted string at offset 3");
    expect_parse_error("{{\"\\U00110000\"}}",
                       "template: invalid escape in quoted string at offset 3");
    expect_parse_error("{{truncate .ID 1.5}}",
                       "template: bad number: only decimal integers are supported at offset 15");
    expect_parse_error("{{0x10}}",
                       "template: bad number: only decimal integers are supported at offset 2");
    expect_parse_error("{{99999999999999999999}}", "template: number out of range at offset 2");
}

TEST(bad_comments)
{
    expect_parse_error("{{/* no end", "template: unclosed comment at offset 0");
    expect_parse_error("{{/* x */ .ID}}",
                       "template: comment ends before closing delimiter at offset 9");
}

TEST(deep_parentheses)
{
    char format[256];
    size_t n = 0;

    format[n++] = '{';
    format[n++] = '{';
    for (int i = 0; i < 40; i++)
        format[n++] = '(';
    memcpy(format + n, ".ID", 4);
    expect_parse_error(format, "template: parentheses nested too deeply at offset 34");

    /* 32 levels are fine. */
    n = 0;
    format[n++] = '{';
    format[n++] = '{';
    for (int i = 0; i < 32; i++)
        format[n++] = '(';
    format[n++] = '.';
    format[n++] = 'I';
    format[n++] = 'D';
    for (int i = 0; i < 32; i++)
        format[n++] = ')';
    memcpy(format + n, "}}", 3);
    expect_render(format, "0123456789abcdef");
}

TEST(missing_fields)
{
    expect_render_error("{{.Foo}}", "template: can't evaluate field Foo");
    expect_render_error("{{.Config.Nope}}", "template: can't evaluate field Nope");
    expect_render_error("{{.ID.Foo}}", "template: can't evaluate field Foo in type string");
    expect_render_error("{{.Gone.X}}", "template: can't evaluate field X in type null");
    expect_render_error("{{.Names.X}}", "template: can't evaluate field X in type array");
    /* Field names are case-sensitive, like Go's. */
    expect_render_error("{{.id}}", "template: can't evaluate field id");
    /* The error stops the whole row, even after good actions. */
    expect_render_error("{{.ID}} {{upper .Foo}}", "template: can't evaluate field Foo");
}

TEST(function_type_errors)
{
    expect_render_error("{{upper .Size}}", "template: upper: expected a string, got integer");
    expect_render_error("{{lower .Names}}", "template: lower: expected a string, got array");
    expect_render_error("{{truncate .Size 2}}", "template: truncate: expected a string, got "
                                                "integer");
    expect_render_error("{{truncate .ID \"2\"}}",
                        "template: truncate: expected an integer length, got string");
    expect_render_error("{{truncate .ID -1}}", "template: truncate: negative length -1");
    expect_render_error("{{join .ID \",\"}}",
                        "template: join: expected an array of strings, got string");
    expect_render_error("{{join .Ports \",\"}}",
                        "template: join: expected an array of strings, element 0 is integer");
    expect_render_error("{{join .Mixed \",\"}}",
                        "template: join: expected an array of strings, element 1 is integer");
    expect_render_error("{{join .Names 1}}",
                        "template: join: expected a string separator, got integer");
    /* A string the format made need not be UTF-8; json() refuses rather than lie. */
    expect_render_error("{{json \"\xff\"}}", "template: json: cannot encode string value");
}

TEST(parse_does_not_check_fields)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_template *t = NULL;

    ASSERT_OK(ctr_template_parse("{{.NoSuchField}}", &t, NULL, &err), &err);
    ctr_template_free(t);
    ctr_template_free(NULL);
}

TEST(render_many_objects)
{
    cleanup_error struct ctr_error *err = NULL;
    struct ctr_template *t = NULL;
    json_t *a = load("{\"N\":\"a\"}"), *b = load("{\"N\":\"b\"}"), *c = load("{}");
    cleanup_free char *ra = NULL, *rb = NULL, *rb2 = NULL;

    ASSERT_OK(ctr_template_parse("<{{.N}}>", &t, NULL, &err), &err);
    ra = ctr_template_render(t, a, &err);
    ASSERT_OK(ra, &err);
    ASSERT_STR_EQ(ra, "<a>");
    ASSERT_TRUE(ctr_template_render(t, c, &err) == NULL);
    ASSERT_STR_EQ(err->msg, "template: can't evaluate field N");
    ctr_error_clear(&err);
    rb = ctr_template_render(t, b, &err);
    ASSERT_OK(rb, &err);
    ASSERT_STR_EQ(rb, "<b>");
    rb2 = ctr_template_render(t, b, &err);
    ASSERT_OK(rb2, &err);
    ASSERT_STR_EQ(rb2, "<b>");
    /* Rendering neither keeps nor drops references. */
    ASSERT_INT_EQ(a->refcount, 1);
    ASSERT_INT_EQ(b->refcount, 1);
    ctr_template_free(t);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

static const char *podman_headers(const char *field)
{
    if (strcmp(field, "ID") == 0)
        return "CONTAINER ID";
    if (strcmp(field, "Config.User") == 0)
        return "USER";
    return NULL;
}

TEST(header)
{
    expect_header("table {{.ID}}\\t{{.Names}}", podman_headers, "CONTAINER ID\tNAMES");
    expect_header("table {{.ID}}\\t{{.Names}}", NULL, "ID\tNAMES");
    expect_header("table {{.CreatedAt}} {{.RunningFor}}", NULL, "CREATED AT RUNNING FOR");
    expect_header("table {{.IPv4Address}} {{.IDs}} {{.Port80}}", NULL,
                  "I PV 4 ADDRESS I DS PORT 80");
    expect_header("table {{.Config.User}} {{.Config.WorkingDir}}", podman_headers,
                  "USER CONFIG.WORKING DIR");
    /* Functions of one field take the field's header. */
    expect_header("table {{truncate .ID 12}} {{upper .Image}} {{.Names | join \",\"}}",
                  podman_headers, "CONTAINER ID IMAGE NAMES");
    /* Anything else shows its own text; trim markers and comments still apply. */
    expect_header("table {{json .}}|{{ \"lit\" }}|{{join .A .B}}", NULL,
                  "json .|\"lit\"|join .A .B");
    expect_header("table a  {{- .ID -}}  b{{/* c */}}", NULL, "aIDb");
}

TEST(header_with_no_actions)
{
    expect_header("table ", NULL, "");
    expect_header("table plain\\ttext", NULL, "plain\ttext");
}
