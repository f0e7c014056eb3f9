// SPDX-License-Identifier: GPL-2.0
/*
 * A module that only exists to prove the test harness: loading it logs a
 * kernel WARNING, which must make the VM run fail (tests/selftest/002).
 * It is built for the harness self-test alone, never installed.
 */
#include <linux/module.h>
#include <linux/bug.h>

static int __init dmtk_selftest_init(void)
{
	WARN(1, "dmtk-selftest: deliberate warning for the harness self-test\n");
	return 0;
}

static void __exit dmtk_selftest_exit(void)
{
}

module_init(dmtk_selftest_init);
module_exit(dmtk_selftest_exit);
MODULE_DESCRIPTION("dm-testkit harness self-test: logs a WARNING on load");
MODULE_LICENSE("GPL");
