// SPDX-License-Identifier: GPL-2.0
/*
 * pcapng writer: files with one and two interfaces (the second added after
 * packets of the first), packets with and without comments and of every
 * length modulo 4, read back by libpcap at nanosecond precision (bytes,
 * lengths, stamps) and walked block by block here (lengths, padding,
 * options, comments, which libpcap does not show). Then the refusals and a
 * full disk. libpcap reads no file with two RAW interfaces (pcapng.h), so
 * it reads the two-interface file of IPV4 interfaces; the block walk and
 * tests/cli/pcapng_tshark.sh take two RAW ones.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "dropscope.h"
#include "pcapng.h"
#include "unit.h"

#define NPK 8

struct pk {
	int ifid;		/* index into the ids pcapng_add_if() returned */
	uint64_t ts_ns;
	uint32_t caplen, wirelen;
	const char *comment;
};

/* The second interface is added after the third packet. */
static const struct pk pks[NPK] = {
	{ 0, 1700000000123456789ULL, 40, 40, "dropped at nft (srv): NETFILTER_DROP" },
	{ 0, 1700000000123456790ULL, 1, 1, NULL },
	{ 0, 4294967295ULL, 2, 60, "" },		/* low word all ones */
	{ 1, 4294967296ULL, 3, 1500, "odd" },		/* high word 1, low 0 */
	{ 1, 1700000001000000000ULL, 5, 5, "≥200 ms <&>" },
	{ 0, 1700000001000000001ULL, 0, 52, "headers lost" },
	{ 1, 1, 6, 6, "a" },
	{ 0, 18446744073709551615ULL, 7, 9, NULL },	/* both words all ones */
};

static const char *const if_name[2] = { "srv0", "mvt0" };
static const char *const if_desc[2] = { "netns srv, nft input", NULL };

static char tmpdir[] = "/tmp/ds-test-pcapng-XXXXXX";

static const char *tmp(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static void fill(uint8_t *d, int i, uint32_t len)
{
	uint32_t k;

	for (k = 0; k < len; k++)
		d[k] = (uint8_t)(0x45 + 31 * i + k);
}

/* The packets of pks[] in @path; with @nif 1 all on the first interface. */
static int write_file(const char *path, int linktype, int nif)
{
	struct pcapng_writer *w;
	uint8_t d[64];
	int ids[2] = { 0, 0 }, i, ret;

	ret = pcapng_open(&w, path);
	CHECK(ret == 0, "open: %d", ret);
	if (ret)
		return ret;
	ids[0] = pcapng_add_if(w, linktype, 1500, if_name[0], if_desc[0]);
	CHECK(ids[0] == 0, "first id %d", ids[0]);
	for (i = 0; i < NPK; i++) {
		if (i == 3 && nif == 2) {
			ids[1] = pcapng_add_if(w, linktype, 1500, if_name[1], if_desc[1]);
			CHECK(ids[1] == 1, "second id %d", ids[1]);
		}
		fill(d, i, pks[i].caplen);
		ret = pcapng_add_packet(w, ids[pks[i].ifid], pks[i].ts_ns, d,
					pks[i].caplen, pks[i].wirelen, pks[i].comment);
		CHECK(ret == 0, "packet %d: %d", i, ret);
	}
	ret = pcapng_close(w);
	CHECK(ret == 0, "close: %d", ret);
	return ret;
}

/* libpcap reads back every packet of pks[] from @path, exactly. */
static void read_back(const char *path, int dlt)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint8_t want[64];
	pcap_t *p;
	int i = 0, rc;

	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	CHECK(p, "libpcap: %s", errbuf);
	if (!p)
		return;
	CHECK(pcap_datalink(p) == dlt, "datalink %d, want %d", pcap_datalink(p), dlt);
	CHECK(pcap_snapshot(p) == 1500, "snaplen %d", pcap_snapshot(p));
	while ((rc = pcap_next_ex(p, &h, &data)) == 1 && i < NPK) {
		const struct pk *k = &pks[i];

		fill(want, i, k->caplen);
		CHECK(h->caplen == k->caplen && h->len == k->wirelen,
		      "packet %d: caplen %u len %u", i, h->caplen, h->len);
		CHECK(h->caplen != k->caplen || !memcmp(data, want, k->caplen),
		      "packet %d: bytes differ", i);
		/* at nano precision libpcap puts nanoseconds in tv_usec */
		CHECK((uint64_t)h->ts.tv_sec == k->ts_ns / 1000000000 &&
		      (uint64_t)h->ts.tv_usec == k->ts_ns % 1000000000,
		      "packet %d: ts %ld.%09ld", i, (long)h->ts.tv_sec, (long)h->ts.tv_usec);
		i++;
	}
	CHECK(rc == PCAP_ERROR_BREAK && i == NPK, "rc %d after %d packets: %s", rc, i,
	      pcap_geterr(p));
	pcap_close(p);
}

static void test_pcapng_libpcap_raw(void)
{
	if (!write_file(tmp("raw1.pcapng"), PCAPNG_LINKTYPE_RAW, 1))
		read_back(tmp("raw1.pcapng"), DLT_RAW);
}

static void test_pcapng_libpcap_two_ifs(void)
{
	if (!write_file(tmp("ip4.pcapng"), PCAPNG_LINKTYPE_IPV4, 2))
		read_back(tmp("ip4.pcapng"), DLT_IPV4);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* Finds option @code in @opt..@end; its value length in *@len. */
static const uint8_t *find_opt(const uint8_t *opt, const uint8_t *end, uint16_t code,
			       uint16_t *len)
{
	while (opt + 4 <= end) {
		uint16_t c = rd16(opt), l = rd16(opt + 2);

		if (c == 0)
			return NULL;
		if (c == code) {
			*len = l;
			return opt + 4;
		}
		opt += 4 + ((l + 3u) & ~3u);
	}
	return NULL;
}

static int opt_is(const uint8_t *opt, const uint8_t *end, uint16_t code, const char *want)
{
	uint16_t len = 0;
	const uint8_t *v = find_opt(opt, end, code, &len);

	if (!want || !*want)
		return v == NULL;
	return v && len == strlen(want) && !memcmp(v, want, len);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

static void check_epb(const uint8_t *b, const uint8_t *end, int i)
{
	const struct pk *k = &pks[i];
	uint32_t caplen = rd32(b + 20);
	const uint8_t *opt = b + 28 + ((caplen + 3u) & ~3u);
	size_t k4;

	CHECK(rd32(b + 8) == (uint32_t)k->ifid, "EPB %d: interface %u", i, rd32(b + 8));
	CHECK(((uint64_t)rd32(b + 12) << 32 | rd32(b + 16)) == k->ts_ns, "EPB %d: ts", i);
	for (k4 = caplen; k4 % 4; k4++)
		CHECK(b[28 + k4] == 0, "EPB %d: padding byte %zu not 0", i, k4);
	CHECK(opt_is(opt, end, 1, k->comment), "EPB %d: comment", i);
	/* with options there is an end of options; without, none at all */
	CHECK(k->comment && *k->comment ? rd32(end - 4) == 0 : opt == end,
	      "EPB %d: end of options", i);
}

static void check_idb(const uint8_t *b, const uint8_t *end, int n)
{
	uint16_t len = 0;
	const uint8_t *res = find_opt(b + 16, end, 9, &len);

	CHECK(rd16(b + 8) == PCAPNG_LINKTYPE_RAW && rd32(b + 12) == 1500, "IDB %d", n);
	CHECK(opt_is(b + 16, end, 2, if_name[n]), "IDB %d: if_name", n);
	CHECK(opt_is(b + 16, end, 3, if_desc[n]), "IDB %d: if_description", n);
	CHECK(res && len == 1 && *res == 9, "IDB %d: if_tsresol", n);
}

static void test_pcapng_blocks(void)
{
	size_t len = 0, off = 0;
	uint8_t *f;
	int nshb = 0, nidb = 0, nepb = 0, bad = 0;

	if (write_file(tmp("raw2.pcapng"), PCAPNG_LINKTYPE_RAW, 2))
		return;
	f = slurp(tmp("raw2.pcapng"), &len);
	CHECK(f, "no raw2.pcapng");
	if (!f)
		return;
	while (off + 12 <= len && !bad) {
		const uint8_t *b = f + off;
		uint32_t type = rd32(b), blen = rd32(b + 4);

		if (blen < 12 || blen % 4 || off + blen > len || rd32(b + blen - 4) != blen) {
			CHECK(0, "block at %zu: length %u", off, blen);
			bad = 1;
			break;
		}
		if (type == 0x0a0d0d0a) {
			CHECK(off == 0 && rd32(b + 8) == 0x1a2b3c4d && rd16(b + 12) == 1 &&
			      rd16(b + 14) == 0, "SHB header");
			CHECK(opt_is(b + 24, b + blen - 4, 4, "dropscope " DS_VERSION),
			      "shb_userappl");
			nshb++;
		} else if (type == 1) {
			check_idb(b, b + blen - 4, nidb++);
		} else if (type == 6 && nepb < NPK) {
			CHECK(nidb > pks[nepb].ifid, "EPB %d before its IDB", nepb);
			check_epb(b, b + blen - 4, nepb++);
		} else {
			CHECK(0, "unexpected block type %#x", type);
		}
		off += blen;
	}
	CHECK(off == len, "%zu trailing bytes", len - off);
	CHECK(nshb == 1 && nidb == 2 && nepb == NPK, "%d SHB, %d IDB, %d EPB", nshb, nidb,
	      nepb);
	free(f);
}

static void test_pcapng_refusals(void)
{
	struct pcapng_writer *w = NULL;
	static char big[70000];
	uint8_t d[8] = { 0 };
	int id, ret;

	ret = pcapng_open(&w, tmp("no/such/dir.pcapng"));
	CHECK(ret == -ENOENT, "open in a missing directory: %d", ret);
	ret = pcapng_open(&w, tmp("r.pcapng"));
	CHECK(ret == 0, "open: %d", ret);
	if (ret)
		return;
	CHECK(pcapng_add_packet(w, 0, 1, d, 1, 1, NULL) == -EINVAL, "packet without IDB");
	CHECK(pcapng_add_if(w, 70000, 0, "x", NULL) == -EINVAL, "linktype 70000");
	memset(big, 'a', sizeof(big) - 1);
	CHECK(pcapng_add_if(w, 101, 0, big, NULL) == -EINVAL, "if_name of 69999 bytes");
	id = pcapng_add_if(w, 101, 4, NULL, NULL);
	CHECK(id == 0, "IDB without strings: %d", id);
	CHECK(pcapng_add_packet(w, 1, 1, d, 1, 1, NULL) == -EINVAL, "unknown ifid");
	CHECK(pcapng_add_packet(w, -1, 1, d, 1, 1, NULL) == -EINVAL, "ifid -1");
	CHECK(pcapng_add_packet(w, 0, 1, d, 2, 1, NULL) == -EINVAL, "caplen > wirelen");
	CHECK(pcapng_add_packet(w, 0, 1, d, 5, 5, NULL) == -EINVAL, "caplen > snaplen");
	CHECK(pcapng_add_packet(w, 0, 1, NULL, 1, 1, NULL) == -EINVAL, "no data");
	CHECK(pcapng_add_packet(w, 0, 1, d, 1, 1, big) == -EINVAL, "comment too long");
	/* the refusals wrote nothing and broke nothing */
	CHECK(pcapng_add_packet(w, 0, 1, d, 4, 4, "ok") == 0, "a good packet after");
	CHECK(pcapng_close(w) == 0, "close");
	CHECK(pcapng_close(NULL) == 0, "close(NULL)");
}

static void test_pcapng_disk_full(void)
{
	struct pcapng_writer *w;
	uint8_t d[1500] = { 0 };
	int i, ret, id;

	ret = pcapng_open(&w, "/dev/full");
	CHECK(ret == 0, "open /dev/full: %d", ret);
	if (ret)
		return;
	id = pcapng_add_if(w, 101, 0, "full0", NULL);
	/* enough to overflow stdio's buffer: the error shows before close */
	for (i = 0, ret = 0; i < 100 && !ret; i++)
		ret = pcapng_add_packet(w, id, 1, d, sizeof(d), sizeof(d), NULL);
	CHECK(ret == -ENOSPC, "add_packet on a full disk: %d", ret);
	CHECK(pcapng_add_packet(w, id, 1, d, 1, 1, NULL) == -ENOSPC, "error sticks");
	ret = pcapng_close(w);
	CHECK(ret == -ENOSPC, "close: %d", ret);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_pcapng_libpcap_raw);
	RUN(test_pcapng_libpcap_two_ifs);
	RUN(test_pcapng_blocks);
	RUN(test_pcapng_refusals);
	RUN(test_pcapng_disk_full);
	unlink(tmp("raw1.pcapng"));
	unlink(tmp("raw2.pcapng"));
	unlink(tmp("ip4.pcapng"));
	unlink(tmp("r.pcapng"));
	rmdir(tmpdir);
	return unit_done();
}
