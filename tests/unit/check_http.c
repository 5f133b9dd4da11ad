/* check_http.c: the Host rule of a TCP server without a username (http.h). */
#include <check.h>
#include <stdlib.h>

#include "http.h"

START_TEST(test_local_hosts_pass)
{
	static const char *const ok[] = {
		"127.0.0.1", "127.0.0.1:9001", "127.0.0.1:", "10.1.2.3:80",
		"127.1", "[::1]", "[::1]:9001", "[::ffff:127.0.0.1]:1",
		"localhost", "localhost:9001", "LOCALHOST", "localhost.",
		"localhost.:9001", "drover.localhost", "a.b.localhost.:1",
	};
	size_t	i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(http_host_local(ok[i]), "%s refused", ok[i]);
}
END_TEST

START_TEST(test_names_refused)
{
	static const char *const bad[] = {
		"", ":9001", "evil.example", "evil.example:9001",
		"127.0.0.1.evil.example", "127.0.0.1.nip.io:80", "localhost.evil",
		"evillocalhost", ".localhost", "localhost..", "[::1]x",
		"[::1].evil.example", "[::1]:80x", "[evil.example]", "[]", "[::1",
		"[::1]:123456", "127.0.0.1:80x", "127.0.0.1:80:80", "0x7f.1",
		"127.0.0.1 ", " 127.0.0.1", "127.0.0.1\r\nX: y", ".127",
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!http_host_local(bad[i]), "%s passed", bad[i]);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("http");
	TCase	*tc = tcase_create("host");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_local_hosts_pass);
	tcase_add_test(tc, test_names_refused);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
