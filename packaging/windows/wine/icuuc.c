/*
 * Stand-in for Windows' icuuc.dll (the system ICU), for running the Windows build under Wine 8 only.
 *
 * Qt6Core imports 20 ucnv_* functions from it, for text codecs beyond UTF-8/16/32 and Latin-1,
 * which the app never uses; Wine 8.0 has no icuuc.dll, so without it Qt6Core does not load at all.
 * Every converter reports failure: ucnv_open gives no converter and sets U_FILE_ACCESS_ERROR, the
 * list of converters is empty, and the functions that need a converter are never reached.
 *
 * Never shipped: scripts/windows.py puts it in the throw-away Wine prefix's system32, and checks
 * that the frozen app's folder holds no copy of it.
 */
#include <stddef.h>
#include <stdint.h>

typedef int UErrorCode;
#define U_FILE_ACCESS_ERROR 4
#define FAIL(status) do { if ((status) != NULL && *(status) <= 0) *(status) = U_FILE_ACCESS_ERROR; } while (0)

void *ucnv_open(const char *name, UErrorCode *status) { (void)name; FAIL(status); return NULL; }
void ucnv_close(void *converter) { (void)converter; }
int32_t ucnv_countAvailable(void) { return 0; }
const char *ucnv_getAvailableName(int32_t n) { (void)n; return NULL; }
const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *status)
{
    (void)name; (void)standard; FAIL(status); return NULL;
}
const char *ucnv_getName(const void *converter, UErrorCode *status) { (void)converter; FAIL(status); return NULL; }
int8_t ucnv_getMaxCharSize(const void *converter) { (void)converter; return 1; }
void ucnv_reset(void *converter) { (void)converter; }
int32_t ucnv_fromUCountPending(const void *converter, UErrorCode *status) { (void)converter; FAIL(status); return 0; }
int32_t ucnv_toUCountPending(const void *converter, UErrorCode *status) { (void)converter; FAIL(status); return 0; }
void ucnv_fromUnicode(void *c, char **t, const char *tl, const uint16_t **s, const uint16_t *sl, int32_t *o,
                      int8_t flush, UErrorCode *status)
{
    (void)c; (void)t; (void)tl; (void)s; (void)sl; (void)o; (void)flush; FAIL(status);
}
void ucnv_toUnicode(void *c, uint16_t **t, const uint16_t *tl, const char **s, const char *sl, int32_t *o,
                    int8_t flush, UErrorCode *status)
{
    (void)c; (void)t; (void)tl; (void)s; (void)sl; (void)o; (void)flush; FAIL(status);
}
void ucnv_getFromUCallBack(const void *c, void **action, const void **context)
{
    (void)c; if (action) *action = NULL; if (context) *context = NULL;
}
void ucnv_getToUCallBack(const void *c, void **action, const void **context)
{
    (void)c; if (action) *action = NULL; if (context) *context = NULL;
}
void ucnv_setFromUCallBack(void *c, void *n, const void *nc, void **o, const void **oc, UErrorCode *status)
{
    (void)c; (void)n; (void)nc; (void)o; (void)oc; FAIL(status);
}
void ucnv_setToUCallBack(void *c, void *n, const void *nc, void **o, const void **oc, UErrorCode *status)
{
    (void)c; (void)n; (void)nc; (void)o; (void)oc; FAIL(status);
}
void ucnv_cbFromUWriteUChars(void *args, const uint16_t **s, const uint16_t *sl, int32_t o, UErrorCode *status)
{
    (void)args; (void)s; (void)sl; (void)o; FAIL(status);
}
void ucnv_cbToUWriteUChars(void *args, const uint16_t *s, int32_t n, int32_t o, UErrorCode *status)
{
    (void)args; (void)s; (void)n; (void)o; FAIL(status);
}
void UCNV_FROM_U_CALLBACK_SUBSTITUTE(const void *c, void *a, const uint16_t *u, int32_t n, int32_t cp, int r,
                                     UErrorCode *status)
{
    (void)c; (void)a; (void)u; (void)n; (void)cp; (void)r; FAIL(status);
}
void UCNV_TO_U_CALLBACK_SUBSTITUTE(const void *c, void *a, const char *b, int32_t n, int r, UErrorCode *status)
{
    (void)c; (void)a; (void)b; (void)n; (void)r; FAIL(status);
}
