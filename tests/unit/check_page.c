/* check_page.c: the status page's UTF-8 cleaning of job output (page.h). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "page.h"

/* src cleaned, as a NUL-terminated string to free. */
static char *
clean(const char *src, size_t n)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 len;
	char		*s;

	page_utf8_clean((const unsigned char *)src, n, b);
	len = evbuffer_get_length(b);
	s = malloc(len + 1);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	evbuffer_free(b);
	return s;
}

#define CLEAN_IS(src, want) do {					\
	char *got_ = clean(src, sizeof(src) - 1);			\
	ck_assert_str_eq(got_, want);					\
	free(got_);							\
} while (0)

#define FFFD	"\xef\xbf\xbd"

START_TEST(test_valid_passes)
{
	CLEAN_IS("", "");
	CLEAN_IS("plain <script> & text\n", "plain <script> & text\n");
	CLEAN_IS("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	CLEAN_IS("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");	/* U+10FFFF */
}
END_TEST

START_TEST(test_bad_bytes_replaced)
{
	CLEAN_IS("a\xff" "b", "a" FFFD "b");
	CLEAN_IS("a\0b", "a" FFFD "b");
	CLEAN_IS("\x80\x80", FFFD FFFD);		/* lone continuations */
	CLEAN_IS("\xc3", FFFD);				/* cut at the end */
	CLEAN_IS("\xe2\x82", FFFD FFFD);
	CLEAN_IS("\xc0\xaf", FFFD FFFD);		/* overlong '/' */
	CLEAN_IS("\xe0\x80\xaf", FFFD FFFD FFFD);	/* overlong */
	CLEAN_IS("\xed\xa0\x80", FFFD FFFD FFFD);	/* a surrogate */
	CLEAN_IS("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* > U+10FFFF */
	CLEAN_IS("\xc3(", FFFD "(");			/* not a continuation */
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("page");
	TCase	*tc = tcase_create("utf8");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_valid_passes);
	tcase_add_test(tc, test_bad_bytes_replaced);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
