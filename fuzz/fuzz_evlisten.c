/*
 * fuzz_evlisten.c: libFuzzer target for evl_parse(), which reads what an
 * event listener writes on its stdout (src/ctl/evlisten_proto.c).
 *
 * The first byte picks the listener's state (busy or not); the rest is
 * fed to the parser as drover's read loop does, reply after reply.  Besides
 * ASan/UBSan findings it checks the contract: a reply consumes bytes it
 * was given and nothing else; NEED_MORE consumes none; READY only when
 * not busy and as "READY\n"; OK exactly for a body of "OK".
 *
 *	sh fuzz/run.sh 60	(builds it with the sources it needs)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evlisten_proto.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char	*p;
	bool		 busy;
	size_t		 used;
	enum evl_reply	 r;

	if (len == 0)
		return 0;
	busy = data[0] & 1;
	p = (const char *)data + 1;
	len--;
	while (len > 0) {
		r = evl_parse(p, len, busy, &used);
		if (r == EVL_NEED_MORE || r == EVL_BAD) {
			CHECK(used == 0);
			break;
		}
		CHECK(used > 0 && used <= len);
		if (r == EVL_READY) {
			CHECK(!busy && used == 6 && memcmp(p, "READY\n", 6) == 0);
			busy = true;
		} else {
			CHECK(busy && memcmp(p, "RESULT ", 7) == 0);
			if (r == EVL_OK)
				CHECK(used >= 11 &&	/* "RESULT 02": int() */
				    memcmp(p + used - 3, "\nOK", 3) == 0);
			busy = false;
		}
		p += used;
		len -= used;
	}
	return 0;
}
