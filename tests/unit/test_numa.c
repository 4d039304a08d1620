/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_numa.c - vm.ini numa and hugepages, the host's node facts (fake sysfs trees, hostile
 * files), the choice of a node, the devices selected on it, and QEMU's memory and NUMA argv. */
#include "cm.h"
#include "argv.h"
#include "numa.h"
#include "select.h"
#include "vmconf.h"

static struct host_config host;

static int vm(const char *text, struct vm_config *v, struct perr *e)
{
	memset(e, 0, sizeof(*e));
	config_defaults(&host);
	return vm_parse(text, strlen(text), "vm.ini", &host, v, e);
}

static void test_vm_keys(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "[vm]\nnuma = STRICT\n", "vm.ini:2: numa: expected one of any, strict, prefer, got \"STRICT\"" },
		{ "[vm]\nnuma = strict,host-nodes=1\n", "vm.ini:2: numa: expected one of any, strict, prefer, got \"strict,host-nodes=1\"" },
		{ "[vm]\nnuma = interleave\n", "vm.ini:2: numa: expected one of any, strict, prefer, got \"interleave\"" },
		{ "[vm]\nnuma = 0\n", "vm.ini:2: numa: expected one of any, strict, prefer, got \"0\"" },
		{ "[vm]\nnuma = strict\nnuma = any\n", "vm.ini:3: numa: given twice in [vm]" },
		{ "[vm]\nhugepages = 4K\n", "vm.ini:2: hugepages: expected one of 2M, 1G, got \"4K\"" },
		{ "[vm]\nhugepages = 2m\n", "vm.ini:2: hugepages: expected one of 2M, 1G, got \"2m\"" },
		{ "[vm]\nhugepages = 2048\n", "vm.ini:2: hugepages: expected one of 2M, 1G, got \"2048\"" },
		{ "[vm]\nhugepages = on\n", "vm.ini:2: hugepages: expected one of 2M, 1G, got \"on\"" },
		/* no path (a hugetlbfs mount the VM's identity would need a right on), no option */
		{ "[vm]\nhugepages = /dev/hugepages\n", "vm.ini:2: hugepages: expected one of 2M, 1G, got \"/dev/hugepages\"" },
		{ "[vm]\nhugepages = 2M,share=off\n", "vm.ini:2: hugepages: expected one of 2M, 1G, got \"2M,share=off\"" },
		{ "[vm]\nhugepages = 2M\nhugepages = 1G\n", "vm.ini:3: hugepages: given twice in [vm]" },
		/* a hugetlb backend is whole pages */
		{ "[vm]\nname=a\nmemory=1536M\nhugepages = 1G\n", "vm.ini:4: hugepages = 1G: expected memory in whole 1G pages, got 1536 MiB" },
		{ "[vm]\nname=a\nhugepages = 2M\nmemory=65M\n", "vm.ini:3: hugepages = 2M: expected memory in whole 2M pages, got 65 MiB" },
	};
	static struct vm_config v;
	struct perr e;

	(void)state;
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\n", &v, &e), 0);
	assert_string_equal(v.numa, "any");
	assert_int_equal(v.hugepage_mib, 0);
	assert_false(numa_wanted(&v));
	assert_int_equal(vm("[vm]\nname=a\nmemory=2G\nnuma = strict\nhugepages = 1G\n", &v, &e), 0);
	assert_string_equal(v.numa, "strict");
	assert_int_equal(v.hugepage_mib, 1024);
	assert_int_equal(v.numa_policy_line, 4);
	assert_int_equal(v.hugepages_line, 5);
	assert_true(numa_one_node(&v));
	assert_int_equal(vm("[vm]\nname=a\nmemory=66M\nnuma = prefer\nhugepages = 2M\n", &v, &e), 0);
	assert_string_equal(v.numa, "prefer");
	assert_int_equal(v.hugepage_mib, 2);
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\nnuma = any\nhugepages = 2M\n", &v, &e), 0);
	assert_true(numa_wanted(&v));
	assert_false(numa_one_node(&v));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vm(bad[i].text, &v, &e), -1);
		assert_int_equal(e.code, EX_DATAERR);
		assert_string_equal(e.msg, bad[i].msg);
	}
}

static void test_cpulist(void **state)
{
	static const char *const bad[] = {
		"3-1", "0-", "-1", "0,,1", "0,", ",0", "8192", "0-8192", "99999999999", "a", "0 1",
		"0-3\n\n", "0-3:2", "+1", "1\r\n", "0x1", "\n\n", " 0",
	};
	unsigned long bits[NUMA_CPUS_MAX / (8 * sizeof(unsigned long))];
	unsigned n;

	(void)state;
	assert_int_equal(numa_cpulist("0-3\n", NULL, NUMA_CPUS_MAX, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(numa_cpulist("0,2,4-5,8191", bits, NUMA_CPUS_MAX, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(bits[0], 0x35UL);
	assert_int_equal(bits[NUMA_CPUS_MAX / (8 * sizeof(unsigned long)) - 1] >> (8 * sizeof(unsigned long) - 1), 1);
	assert_int_equal(numa_cpulist("", bits, NUMA_CPUS_MAX, &n), 0); /* a node without CPUs */
	assert_int_equal(n, 0);
	assert_int_equal(numa_cpulist("\n", NULL, NUMA_CPUS_MAX, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(numa_cpulist("0-8191\n", NULL, NUMA_CPUS_MAX, &n), 0);
	assert_int_equal(n, 8192);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (numa_cpulist(bad[i], bits, NUMA_CPUS_MAX, &n) != -1)
			fail_msg("cpulist \"%s\" accepted", bad[i]);
}

static char c03[] = "0-3", c47[] = "4-7", c01[] = "0-1";

/* A host of three nodes: 0 and 1 with 4 CPUs each, 2 with memory only. */
static struct numa_node three[3] = {
	{ 0, c03, 4, { 100, 0 } },
	{ 1, c47, 4, { 2000, 2 } },
	{ 2, NULL, 0, { 5000, 0 } },
};
static const struct numa_host host3 = { 3, three, { 7100, 2 } };

static void choose_ok(const char *text, const struct numa_host *h, const struct numa_fit *fit,
		      struct numa_choice *c)
{
	static struct vm_config v;
	struct perr e;

	assert_int_equal(vm(text, &v, &e), 0);
	if (numa_choose(h, &v, fit, c, &e) != 0)
		fail_msg("numa_choose: %s", e.msg);
}

static void choose_fails(const char *text, const struct numa_host *h, const struct numa_fit *fit,
			 const char *msg)
{
	static struct vm_config v;
	struct numa_choice c;
	struct perr e;

	assert_int_equal(vm(text, &v, &e), 0);
	if (numa_choose(h, &v, fit, &c, &e) != -1)
		fail_msg("numa_choose accepted %s: %s", text, c.note);
	assert_int_equal(e.code, EX_UNAVAILABLE);
	assert_string_equal(e.msg, msg);
}

static void test_choose(void **state)
{
	struct numa_fit all[3] = { { true, "" }, { true, "" }, { true, "" } };
	struct numa_fit not0[3] = { { false, "1 Atlas-800 asked for, 0 free on NUMA node 0 (2 in all)" },
				    { true, "" }, { true, "" } };
	struct numa_choice c;

	(void)state;
	/* any: today's behaviour, numa_node a filter of devices only, nothing bound */
	choose_ok("[vm]\nname=a\nmemory=1G\n", &host3, NULL, &c);
	assert_int_equal(c.filter, -1);
	assert_int_equal(c.node, -1);
	assert_string_equal(c.note, "");
	choose_ok("[vm]\nname=a\nmemory=1G\nnuma_node=1\n", &host3, NULL, &c);
	assert_int_equal(c.filter, 1);
	assert_int_equal(c.node, -1);
	/* strict: every node fits, the lowest wins */
	choose_ok("[vm]\nname=a\nmemory=1G\nnuma=strict\n", &host3, all, &c);
	assert_int_equal(c.node, 0);
	assert_int_equal(c.filter, 0);
	assert_string_equal(c.cpulist, "0-3");
	assert_false(c.fell_back);
	assert_string_equal(c.note, "numa = strict: node 0 (the lowest that fits, with a CPU for each vCPU); guest memory and QEMU's threads bound to it, CPUs 0-3");
	/* the devices do not fit on node 0 */
	choose_ok("[vm]\nname=a\nmemory=1G\nnuma=strict\n", &host3, not0, &c);
	assert_int_equal(c.node, 1);
	assert_int_equal(c.filter, 1);
	/* hugepages: 512 2M pages; node 0 has 100, node 1 2000 */
	choose_ok("[vm]\nname=a\nmemory=1G\nnuma=strict\nhugepages=2M\n", &host3, all, &c);
	assert_int_equal(c.node, 1);
	assert_int_equal(c.pages, 512);
	assert_int_equal(c.free, 2000);
	assert_int_equal(c.page_mib, 2);
	assert_string_equal(c.note, "numa = strict: node 1 (the lowest that fits, with a CPU for each vCPU); guest memory and QEMU's threads bound to it, CPUs 4-7; hugepages: 512 2M pages of 2000 free on node 1");
	/* CPUs: a node with a CPU for each vCPU before a lower one without */
	three[1].n_cpus = 8;
	choose_ok("[vm]\nname=a\nmemory=1G\ncpus=6\nnuma=strict\n", &host3, all, &c);
	assert_int_equal(c.node, 1);
	/* none has enough: the lowest that fits, and the note says so */
	choose_ok("[vm]\nname=a\nmemory=1G\ncpus=16\nnuma=strict\n", &host3, all, &c);
	assert_int_equal(c.node, 0);
	assert_string_equal(c.note, "numa = strict: node 0 (the lowest that fits; no node has a CPU for each vCPU); guest memory and QEMU's threads bound to it, CPUs 0-3 (4 CPUs for 16 vCPUs)");
	three[1].n_cpus = 4;
	/* numa_node names the node, even when a lower one fits */
	choose_ok("[vm]\nname=a\nmemory=1G\nnuma=strict\nnuma_node=1\n", &host3, all, &c);
	assert_int_equal(c.node, 1);
	assert_string_equal(c.note, "numa = strict: node 1 (numa_node); guest memory and QEMU's threads bound to it, CPUs 4-7");
	choose_fails("[vm]\nname=a\nmemory=1G\nnuma=strict\nnuma_node=0\n", &host3, not0,
		     "vm.ini:4: numa = strict: wanted node 0 (numa_node), none fits: node 0: 1 Atlas-800 asked for, 0 free on NUMA node 0 (2 in all)");
	choose_fails("[vm]\nname=a\nmemory=1G\nnuma=strict\nnuma_node=5\n", &host3, all,
		     "vm.ini:4: numa = strict: wanted node 5 (numa_node), none fits: this host has no node 5");
	/* a node without CPUs never fits: nothing to run the vCPUs on */
	choose_fails("[vm]\nname=a\nmemory=1G\nnuma=strict\nnuma_node=2\n", &host3, all,
		     "vm.ini:4: numa = strict: wanted node 2 (numa_node), none fits: node 2: no CPUs to run the vCPUs on");
	/* not enough hugepages anywhere: each node's reason */
	choose_fails("[vm]\nname=a\nmemory=4G\nnuma=strict\nhugepages=2M\n", &host3, not0,
		     "vm.ini:4: numa = strict: wanted one node for all of it, none fits: node 0: 1 Atlas-800 asked for, 0 free on NUMA node 0 (2 in all); node 1: 2000 2M pages free, 2048 needed; node 2: no CPUs to run the vCPUs on");
	choose_fails("[vm]\nname=a\nmemory=3G\nnuma=strict\nhugepages=1G\n", &host3, all,
		     "vm.ini:4: numa = strict: wanted one node for all of it, none fits: node 0: 0 1G pages free, 3 needed; node 1: 2 1G pages free, 3 needed; node 2: 0 1G pages free, 3 needed");
	choose_ok("[vm]\nname=a\nmemory=2G\nnuma=strict\nhugepages=1G\n", &host3, all, &c);
	assert_int_equal(c.node, 1); /* exactly enough */
	/* prefer: the same choice when it can; else any node, nothing bound, and why */
	choose_ok("[vm]\nname=a\nmemory=1G\nnuma=prefer\nhugepages=2M\n", &host3, all, &c);
	assert_int_equal(c.node, 1);
	assert_false(c.fell_back);
	choose_ok("[vm]\nname=a\nmemory=4G\nnuma=prefer\nhugepages=2M\n", &host3, not0, &c);
	assert_true(c.fell_back);
	assert_int_equal(c.node, -1);
	assert_int_equal(c.filter, -1);
	assert_null(c.cpulist);
	assert_int_equal(c.free, 7100);
	assert_string_equal(c.note, "numa = prefer: wanted one node for all of it, none fits (node 0: 1 Atlas-800 asked for, 0 free on NUMA node 0 (2 in all); node 1: 2000 2M pages free, 2048 needed; node 2: no CPUs to run the vCPUs on); devices from any node, memory and CPUs not bound; hugepages: 2048 2M pages of 7100 free on this host (not bound to a node)");
	choose_ok("[vm]\nname=a\nmemory=1G\nnuma=prefer\nnuma_node=0\n", &host3, not0, &c);
	assert_true(c.fell_back);
	assert_int_equal(c.filter, -1); /* devices from any node, numa_node's included */
	/* ... and the host's pool short too: refused */
	choose_fails("[vm]\nname=a\nmemory=16G\nnuma=prefer\nhugepages=2M\n", &host3, all,
		     "vm.ini:5: hugepages = 2M: 8192 pages needed for 16384 MiB, 7100 free on this host; the admin reserves them (see vm.ini(5))");
	/* any with hugepages: the host's pool */
	choose_ok("[vm]\nname=a\nmemory=1G\nhugepages=2M\n", &host3, NULL, &c);
	assert_int_equal(c.node, -1);
	assert_int_equal(c.pages, 512);
	assert_string_equal(c.note, "hugepages: 512 2M pages of 7100 free on this host (not bound to a node)");
	choose_fails("[vm]\nname=a\nmemory=4G\nhugepages=1G\n", &host3, NULL,
		     "vm.ini:4: hugepages = 1G: 4 pages needed for 4096 MiB, 2 free on this host; the admin reserves them (see vm.ini(5))");
}

static void test_choose_odd_hosts(void **state)
{
	struct numa_node one[1] = { { 0, c01, 2, { -1, -1 } } };
	struct numa_host h1 = { 1, one, { 300, -1 } }, none = { 0, NULL, { 300, -1 } };
	struct numa_fit all[1] = { { true, "" } };
	struct numa_choice c;

	(void)state;
	/* one node: every device is on it (no filter), its pages the host's when it shows none */
	choose_ok("[vm]\nname=a\nmemory=512M\nnuma=strict\nhugepages=2M\n", &h1, all, &c);
	assert_int_equal(c.node, 0);
	assert_int_equal(c.filter, -1);
	assert_int_equal(c.free, 300);
	assert_string_equal(c.note, "numa = strict: node 0 (the host's only node); guest memory and QEMU's threads bound to it, CPUs 0-1; hugepages: 256 2M pages of 300 free on node 0");
	/* a page size the host does not offer */
	choose_fails("[vm]\nname=a\nmemory=1G\nnuma=strict\nhugepages=1G\n", &h1, all,
		     "vm.ini:4: numa = strict: wanted one node for all of it, none fits: node 0: no 1G pages");
	choose_fails("[vm]\nname=a\nmemory=1G\nhugepages=1G\n", &h1, NULL,
		     "vm.ini:4: hugepages = 1G: this host offers no 1G pages (see vm.ini(5))");
	/* a kernel that shows no node: strict has nothing to bind to; hugepages from the pool */
	choose_fails("[vm]\nname=a\nmemory=1G\nnuma=strict\n", &none, NULL,
		     "vm.ini:4: numa = strict: wanted one node for all of it, none fits: this host shows no NUMA node");
	choose_ok("[vm]\nname=a\nmemory=512M\nnuma=prefer\nhugepages=2M\n", &none, NULL, &c);
	assert_true(c.fell_back);
	assert_int_equal(c.free, 300);
}

static void inventory_of(struct inventory *inv, int numa_of_81)
{
	static const char *const addrs[] = { "0000:01:00.0", "0000:02:00.0", "0000:03:00.0", "0000:81:00.0" };
	struct perr e = { 0 };

	memset(inv, 0, sizeof(*inv));
	for (int i = 0; i < 4; i++) {
		struct inv_device d = { .dev_type = "NPU", .vendor = 0x19e5, .device = 0xd801,
					.iommu_group = i, .numa_node = i == 3 ? numa_of_81 : 0 };
		strcpy(d.addr, addrs[i]);
		strcpy(d.model, i == 2 ? "Other" : "Atlas-800");
		assert_int_equal(inventory_add(inv, &d, &e), 0);
	}
}

/* select_node then select_on_node, as the launch does. */
static int plan(const struct inventory *inv, const bool *busy, const struct vm_config *v,
		const struct numa_host *h, struct numa_choice *c, struct pick *picks, size_t *n,
		struct perr *e)
{
	memset(e, 0, sizeof(*e));
	if (select_node(inv, busy, NULL, v, h, c, e) < 0)
		return -1;
	return select_on_node(inv, busy, NULL, v, c->filter, NULL, NULL, picks, n, e);
}

static void test_select_node(void **state)
{
	struct numa_node two[2] = { { 0, c03, 4, { 0, 0 } }, { 1, c47, 4, { 0, 0 } } };
	struct numa_host h = { 2, two, { 0, 0 } };
	static struct vm_config v;
	struct inventory inv;
	struct pick picks[VM_DEV_MAX];
	bool busy[4] = { false, false, false, false };
	struct numa_choice c;
	size_t n;
	struct perr e;

	(void)state;
	inventory_of(&inv, 1);
	/* two Atlas-800 on node 0 (01, 02), one on node 1 (81): strict takes node 0's */
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\nnuma=strict\n[devices]\nAtlas-800 = 2\n", &v, &e), 0);
	assert_int_equal(plan(&inv, busy, &v, &h, &c, picks, &n, &e), 0);
	assert_int_equal(c.node, 0);
	assert_int_equal(n, 2);
	assert_string_equal(picks[0].dev->addr, "0000:01:00.0");
	assert_string_equal(picks[1].dev->addr, "0000:02:00.0");
	/* one of node 0's busy: no node has two; strict says each node's count */
	busy[0] = true;
	assert_int_equal(plan(&inv, busy, &v, &h, &c, picks, &n, &e), -1);
	assert_string_equal(e.msg, "vm.ini:4: numa = strict: wanted one node for all of it, none fits: node 0: 2 Atlas-800 asked for, 1 free on NUMA node 0 (2 in all); node 1: 2 Atlas-800 asked for, 1 free on NUMA node 1 (1 in all)");
	/* prefer: the two free ones, lowest address first, across nodes */
	v.numa[0] = '\0';
	strcpy(v.numa, "prefer");
	assert_int_equal(plan(&inv, busy, &v, &h, &c, picks, &n, &e), 0);
	assert_true(c.fell_back);
	assert_int_equal(n, 2);
	assert_string_equal(picks[0].dev->addr, "0000:02:00.0");
	assert_string_equal(picks[1].dev->addr, "0000:81:00.0");
	busy[0] = false;
	/* an explicit address on node 1: the model's device must come from node 1 too */
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\nnuma=strict\n[devices]\naddress = 0000:81:00.0\nOther = 1\n", &v, &e), 0);
	assert_int_equal(plan(&inv, busy, &v, &h, &c, picks, &n, &e), -1);
	assert_string_equal(e.msg, "vm.ini:4: numa = strict: wanted one node for all of it, none fits: node 0: 0000:81:00.0 is on NUMA node 1, not on node 0; node 1: no device of model Other on NUMA node 1 on this host");
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\nnuma=strict\n[devices]\naddress = 0000:81:00.0\n", &v, &e), 0);
	assert_int_equal(plan(&inv, busy, &v, &h, &c, picks, &n, &e), 0);
	assert_int_equal(c.node, 1);
	assert_string_equal(picks[0].dev->addr, "0000:81:00.0");
	/* any, numa_node = 1: as before, explicit addresses are not filtered */
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\nnuma_node=1\n[devices]\naddress = 0000:01:00.0\nAtlas-800 = 1\n", &v, &e), 0);
	assert_int_equal(plan(&inv, busy, &v, &h, &c, picks, &n, &e), 0);
	assert_int_equal(c.node, -1);
	assert_string_equal(picks[0].dev->addr, "0000:01:00.0");
	assert_string_equal(picks[1].dev->addr, "0000:81:00.0");
	inventory_free(&inv);

	/* a device of unknown node (-1): on a host of one node it is on that node; on two, on none */
	inventory_of(&inv, -1);
	assert_int_equal(vm("[vm]\nname=a\nmemory=1G\nnuma=strict\n[devices]\naddress = 0000:81:00.0\n", &v, &e), 0);
	assert_int_equal(plan(&inv, busy, &v, &h, &c, picks, &n, &e), -1);
	assert_string_equal(e.msg, "vm.ini:4: numa = strict: wanted one node for all of it, none fits: node 0: 0000:81:00.0 is on NUMA node -1, not on node 0; node 1: 0000:81:00.0 is on NUMA node -1, not on node 1");
	h.n = 1;
	assert_int_equal(plan(&inv, busy, &v, &h, &c, picks, &n, &e), 0);
	assert_int_equal(c.node, 0);
	assert_int_equal(c.filter, -1);
	assert_string_equal(picks[0].dev->addr, "0000:81:00.0");
	inventory_free(&inv);
}

static void mkdirs(const char *root, const char *rel)
{
	char cmd[768];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	assert_int_equal(system(cmd), 0);
}

#define NODE "devices/system/node/"
#define HP2 "hugepages/hugepages-2048kB/free_hugepages"
#define HP1 "hugepages/hugepages-1048576kB/free_hugepages"

/* A fake sysfs: node0 (CPUs 0-1, 12 2M pages), node2 (CPUs 2-3), node10 (no cpulist, no
 * hugepages), names that are not nodes; the host's 2M pool 30, no 1G pool. */
static void fake_sysfs(const char *root)
{
	mkdirs(root, NODE "node0/hugepages/hugepages-2048kB");
	mkdirs(root, NODE "node0/hugepages/hugepages-1048576kB");
	mkdirs(root, NODE "node2/hugepages/hugepages-2048kB");
	mkdirs(root, NODE "node10");
	mkdirs(root, NODE "node01");
	mkdirs(root, NODE "nodex");
	mkdirs(root, NODE "node-1");
	mkdirs(root, NODE "node1024");
	mkdirs(root, "kernel/mm/hugepages/hugepages-2048kB");
	put_file(root, NODE "possible", "0,2,10\n", 0444);
	put_file(root, NODE "node0/cpulist", "0-1\n", 0444);
	put_file(root, NODE "node0/" HP2, "12\n", 0444);
	put_file(root, NODE "node0/" HP1, "0\n", 0444);
	put_file(root, NODE "node2/cpulist", "2-3\n", 0444);
	put_file(root, NODE "node2/" HP2, "18", 0444); /* no newline */
	put_file(root, "kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "30\n", 0444);
}

static void read_fails(const char *root, const char *rel, const char *text, const char *why)
{
	struct numa_host h;
	struct perr e = { 0 };
	char want[1024];

	put_file(root, rel, text, 0444);
	assert_int_equal(numa_read(root, &h, &e), -1);
	assert_int_equal(e.code, EX_DATAERR);
	snprintf(want, sizeof(want), "%s/%s: %s", root, rel, why);
	assert_string_equal(e.msg, want);
	assert_null(h.node);
}

static void test_read(void **state)
{
	char root[256], big[NUMA_TEXT_MAX + 8];
	struct numa_host h;
	struct perr e = { 0 };

	(void)state;
	scratch(root);
	/* no node directories at all (a kernel without NUMA): no node, the host's pool only */
	assert_int_equal(numa_read(root, &h, &e), 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(h.free_all[HP_2M], -1);
	assert_int_equal(h.free_all[HP_1G], -1);
	numa_free(&h);
	fake_sysfs(root);
	assert_int_equal(numa_read(root, &h, &e), 0);
	assert_int_equal(h.n, 3);
	assert_int_equal(h.node[0].id, 0);
	assert_int_equal(h.node[1].id, 2);
	assert_int_equal(h.node[2].id, 10); /* in number order */
	assert_string_equal(h.node[0].cpulist, "0-1");
	assert_int_equal(h.node[0].n_cpus, 2);
	assert_int_equal(h.node[0].free_pages[HP_2M], 12);
	assert_int_equal(h.node[0].free_pages[HP_1G], 0);
	assert_int_equal(h.node[1].free_pages[HP_2M], 18);
	assert_int_equal(h.node[1].free_pages[HP_1G], -1); /* absent: not offered there */
	assert_null(h.node[2].cpulist);                   /* absent: no CPUs known */
	assert_int_equal(h.node[2].n_cpus, 0);
	assert_int_equal(h.node[2].free_pages[HP_2M], -1);
	assert_int_equal(h.free_all[HP_2M], 30);
	assert_int_equal(h.free_all[HP_1G], -1);
	numa_free(&h);
	/* hostile contents: each an error naming the file, nothing half-read kept */
	read_fails(root, NODE "node2/" HP2, "-5\n", "expected a count of pages, got \"-5\" (not a number)");
	read_fails(root, NODE "node2/" HP2, "99999999999999999999\n", "expected a count of pages, got \"99999999999999999999\" (too large)");
	read_fails(root, NODE "node2/" HP2, "\x01\x02\xff", "expected a count of pages, got \"\\x01\\x02\\xff\" (not a number)");
	read_fails(root, NODE "node2/" HP2, "", "expected a count of pages, got \"\" (not a number)");
	read_fails(root, NODE "node2/" HP2, "12\n\n", "expected a count of pages, got \"12\\x0a\" (not a number)");
	put_file(root, NODE "node2/" HP2, "18\n", 0444);
	read_fails(root, "kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "1e3\n", "expected a count of pages, got \"1e3\" (not a number)");
	put_file(root, "kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "30\n", 0444);
	read_fails(root, NODE "node0/cpulist", "0-99999\n", "expected a list of CPUs below 8192 like 0-3,8-11, got \"0-99999\\x0a\"");
	read_fails(root, NODE "node0/cpulist", "3-1\n", "expected a list of CPUs below 8192 like 0-3,8-11, got \"3-1\\x0a\"");
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	read_fails(root, NODE "node0/cpulist", big, "expected at most 65536 bytes, got more");
	{ /* a NUL byte: not text */
		char path[512];
		FILE *f;
		snprintf(path, sizeof(path), "%s/%s", root, NODE "node0/cpulist");
		f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(fwrite("0\0-1\n", 1, 5, f), 5);
		assert_int_equal(fclose(f), 0);
		assert_int_equal(numa_read(root, &h, &e), -1);
		assert_non_null(strstr(e.msg, "node0/cpulist: expected text, got a NUL byte"));
	}
	put_file(root, NODE "node0/cpulist", "0-1\n", 0444);
	memset(&e, 0, sizeof(e));
	assert_int_equal(numa_read(root, &h, &e), 0);
	numa_free(&h);
	rmtree(root);
}

/* QEMU's argv for a choice: the words from -m to -smp, and whether w appears (and after
 * which word). */
static void argv_of(const struct vm_config *v, const struct qemu_dev *devs, size_t n_dev,
		    const struct numa_choice *c, struct argv *a)
{
	struct handover fds;
	struct perr e = { 0 };

	handover_plan(v, n_dev, &fds);
	assert_int_equal(qemu_argv(&host, v, devs, n_dev, &fds, c, a, &e), 0);
}

static bool has(const struct argv *a, const char *opt, const char *val)
{
	for (size_t i = 0; i + 1 < a->n; i++)
		if (strcmp(a->v[i], opt) == 0 && strcmp(a->v[i + 1], val) == 0)
			return true;
	return false;
}

static bool mentions(const struct argv *a, const char *part)
{
	for (size_t i = 0; i < a->n; i++)
		if (strstr(a->v[i], part))
			return true;
	return false;
}

static void test_argv(void **state)
{
	const struct qemu_dev devs[2] = { { .addr = "0000:81:00.0", .id = 0, .port = 0, .rombar = -1, .romfile_fd = -1 },
					  { .addr = "0000:82:00.0", .id = 1, .port = 1, .rombar = -1, .romfile_fd = -1 } };
	struct numa_choice bound = { .filter = 1, .node = 1, .cpulist = "4-7" };
	struct numa_choice huge = { .filter = -1, .node = -1, .page_mib = 2, .pages = 512 };
	struct numa_choice both = { .filter = 1, .node = 1, .page_mib = 1024, .pages = 1 };
	static struct vm_config v;
	struct argv a;
	struct perr e;

	(void)state;
	assert_int_equal(vm("[vm]\nname=w\nmemory=1G\ncpus=4\n", &v, &e), 0);
	/* bound, no hugepages, q35 with devices: RAM on node 1, one guest node, the ports on a pxb */
	argv_of(&v, devs, 2, &bound, &a);
	assert_true(has(&a, "-machine", "q35,accel=kvm"));
	assert_true(has(&a, "-object", "memory-backend-ram,id=pcipass.ram,size=1024M,host-nodes=1,policy=bind"));
	assert_true(has(&a, "-numa", "node,nodeid=0,cpus=0-3,memdev=pcipass.ram"));
	assert_true(has(&a, "-device", "pxb-pcie,id=pcipass.pxb0,bus_nr=128,numa_node=0,bus=pcie.0"));
	assert_true(has(&a, "-device", "pcie-root-port,id=pcipass.rp0,chassis=1,slot=1,bus=pcipass.pxb0"));
	assert_true(has(&a, "-device", "pcie-root-port,id=pcipass.rp1,chassis=2,slot=2,bus=pcipass.pxb0"));
	assert_true(has(&a, "-device", "vfio-pci,host=0000:81:00.0,id=hostdev0,bus=pcipass.rp0"));
	argv_free(&a);
	/* hugepages, nothing bound: a hugetlb memfd the machine's RAM, no guest node, no pxb */
	argv_of(&v, devs, 2, &huge, &a);
	assert_true(has(&a, "-machine", "q35,accel=kvm,memory-backend=pcipass.ram"));
	assert_true(has(&a, "-object", "memory-backend-memfd,id=pcipass.ram,size=1024M,hugetlb=on,hugetlbsize=2M,prealloc=on"));
	assert_false(mentions(&a, "-numa"));
	assert_false(mentions(&a, "pxb"));
	assert_false(mentions(&a, "host-nodes"));
	assert_true(has(&a, "-device", "pcie-root-port,id=pcipass.rp0,chassis=1,slot=1"));
	argv_free(&a);
	/* both: -numa memdev (QEMU refuses it with -machine memory-backend) */
	argv_of(&v, devs, 2, &both, &a);
	assert_true(has(&a, "-machine", "q35,accel=kvm"));
	assert_true(has(&a, "-object", "memory-backend-memfd,id=pcipass.ram,size=1024M,hugetlb=on,hugetlbsize=1G,prealloc=on,host-nodes=1,policy=bind"));
	assert_true(has(&a, "-numa", "node,nodeid=0,cpus=0-3,memdev=pcipass.ram"));
	argv_free(&a);
	/* bound without devices: no pxb; one vCPU */
	assert_int_equal(vm("[vm]\nname=w\nmemory=1G\n", &v, &e), 0);
	argv_of(&v, devs, 0, &bound, &a);
	assert_true(has(&a, "-numa", "node,nodeid=0,cpus=0,memdev=pcipass.ram"));
	assert_false(mentions(&a, "pxb"));
	argv_free(&a);
	/* pc: a guest node, no PCIe, no pxb */
	assert_int_equal(vm("[vm]\nname=w\nmemory=1G\nmachine=pc\n", &v, &e), 0);
	argv_of(&v, devs, 2, &bound, &a);
	assert_true(has(&a, "-numa", "node,nodeid=0,cpus=0,memdev=pcipass.ram"));
	assert_false(mentions(&a, "pxb"));
	assert_true(has(&a, "-device", "vfio-pci,host=0000:81:00.0,id=hostdev0"));
	argv_free(&a);
	/* nothing chosen (NULL, or a fallback): QEMU's own RAM, as before */
	argv_of(&v, devs, 2, NULL, &a);
	assert_false(mentions(&a, "pcipass.ram"));
	argv_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vm_keys),
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_choose_odd_hosts),
		cmocka_unit_test(test_select_node),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_argv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
