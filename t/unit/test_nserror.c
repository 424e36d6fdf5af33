/*
 * Copyright (C) ct-netsuite authors
 *
 * NetSuite error bodies from netsuite/responses and their classification.
 */


#include <jansson.h>

#include "ctns_test.h"
#include "ctns_nserror.h"


/* The fixtures hold {"status", "headers", "body"}: parse the body part. */

static ctns_ns_class_e
parse_file(const char *file, int http, ctns_nserror_t *e)
{
    char          *body;
    json_t        *root;
    json_error_t   jerr;

    root = json_load_file(file, 0, &jerr);
    CHECK(root != NULL);
    CHECK_INT(json_integer_value(json_object_get(root, "status")), http);

    body = json_dumps(json_object_get(root, "body"), JSON_COMPACT);
    ctns_nserror_parse(e, http, body, body ? strlen(body) : 0);
    free(body);
    json_decref(root);

    return ctns_nserror_class(e);
}


int
main(void)
{
    ctns_nserror_t  e;

    CHECK_INT(parse_file("netsuite/responses/error-400-invalid-reference.json",
                         400, &e), CTNS_NS_PERMANENT);
    CHECK_STR(e.code, "USER_ERROR");
    CHECK(strstr(e.detail, "Invalid Field Value") != NULL);
    CHECK(e.path[0] != '\0');

    CHECK_INT(parse_file("netsuite/responses/error-400-missing-field.json",
                         400, &e), CTNS_NS_PERMANENT);
    CHECK(strstr(e.detail, "Please enter value(s) for") != NULL);

    CHECK_INT(parse_file(
                  "netsuite/responses/error-400-duplicate-externalid.json",
                  400, &e), CTNS_NS_EXISTS);

    CHECK_INT(parse_file("netsuite/responses/error-429-concurrency.json",
                         429, &e), CTNS_NS_RETRY);
    CHECK_STR(e.code, "CONCURRENCY_LIMIT_EXCEEDED");

    CHECK_INT(parse_file("netsuite/responses/error-401-invalid-login.json",
                         401, &e), CTNS_NS_AUTH);
    CHECK_STR(e.code, "INVALID_LOGIN");

    CHECK_INT(parse_file("netsuite/responses/error-404-nonexistent-id.json",
                         404, &e), CTNS_NS_NOT_FOUND);
    CHECK_STR(e.code, "NONEXISTENT_ID");

    CHECK_INT(parse_file("netsuite/responses/error-400-permission.json",
                         400, &e), CTNS_NS_PERMANENT);

    /* an HTML edge page: a printable excerpt, retried */
    ctns_nserror_parse(&e, 502, "<html>\n<b>Bad Gateway</b></html>", 32);
    CHECK_INT(ctns_nserror_class(&e), CTNS_NS_RETRY);
    CHECK_STR(e.detail, "<html> <b>Bad Gateway</b></html>");
    CHECK_STR(e.code, "");

    ctns_nserror_parse(&e, 503, NULL, 0);
    CHECK_INT(ctns_nserror_class(&e), CTNS_NS_RETRY);
    CHECK_STR(e.detail, "");

    ctns_nserror_parse(&e, 204, "", 0);
    CHECK_INT(ctns_nserror_class(&e), CTNS_NS_OK);

    /* token endpoint (RFC 6749) and commercetools error shapes */
    ctns_nserror_parse(&e, 400, "{\"error\":\"invalid_grant\"}", 25);
    CHECK_STR(e.code, "invalid_grant");
    CHECK_INT(ctns_nserror_class(&e), CTNS_NS_PERMANENT);

    ctns_nserror_parse(&e, 503, "{\"statusCode\":503,\"message\":\"busy\","
                       "\"errors\":[{\"code\":\"OverCapacity\"}]}", 70);
    CHECK_STR(e.code, "OverCapacity");
    CHECK_STR(e.detail, "busy");

    /* truncated JSON is not trusted */
    ctns_nserror_parse(&e, 400, "{\"o:errorDetails\":[", 19);
    CHECK_STR(e.code, "");
    CHECK_INT(ctns_nserror_class(&e), CTNS_NS_PERMANENT);

    TEST_DONE();
}
