// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/snmp, /proc/net/netstat and /proc/net/softnet_stat parsing: text
 * laid out as Linux 6.18 writes it with known numbers, malformed and cut
 * text, and the running kernel's own files against constants it must show.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snmp.h"
#include "unit.h"

/* /proc/net/snmp of a 6.18 kernel, numbers changed where the tests look. */
static const char snmp_text[] =
	"Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams "
	"InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes "
	"ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates "
	"OutTransmits\n"
	"Ip: 2 64 1181 0 0 0 0 7 1181 911 8 0 0 0 0 0 0 0 0 911\n"
	"Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs "
	"InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps "
	"InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal "
	"OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs "
	"OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks "
	"OutAddrMaskReps\n"
	"Icmp: 2 0 0 2 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	"IcmpMsg: InType3\n"
	"IcmpMsg: 2\n"
	"Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails "
	"EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
	"Tcp: 1 200 120000 -1 40 4 1 0 0 1091 823 4242 0 2 0\n"
	"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors "
	"InCsumErrors IgnoredMulti MemErrors\n"
	"Udp: 88 0 11 90 12 0 0 0 0\n"
	"UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors "
	"InCsumErrors IgnoredMulti MemErrors\n"
	"UdpLite: 0 0 0 0 0 0 0 0 0\n";

/* /proc/net/netstat of the same kernel: field i of TcpExt is 100000 + i, IpExt 200000 + i, MPTcpExt 300000 + i. */
static const char netstat_text[] =
	"TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts "
	"PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter "
	"TW TWRecycled TWKilled PAWSActive PAWSEstab BeyondWindow TSEcrRejected "
	"PAWSOldAck PAWSTimewait DelayedACKs DelayedACKLocked DelayedACKLost "
	"ListenOverflows ListenDrops TCPHPHits TCPPureAcks TCPHPAcks TCPRenoRecovery "
	"TCPSackRecovery TCPSACKReneging TCPSACKReorder TCPRenoReorder TCPTSReorder "
	"TCPFullUndo TCPPartialUndo TCPDSACKUndo TCPLossUndo TCPLostRetransmit "
	"TCPRenoFailures TCPSackFailures TCPLossFailures TCPFastRetrans "
	"TCPSlowStartRetrans TCPTimeouts TCPLossProbes TCPLossProbeRecovery "
	"TCPRenoRecoveryFail TCPSackRecoveryFail TCPRcvCollapsed TCPBacklogCoalesce "
	"TCPDSACKOldSent TCPDSACKOfoSent TCPDSACKRecv TCPDSACKOfoRecv TCPAbortOnData "
	"TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout TCPAbortOnLinger "
	"TCPAbortFailed TCPMemoryPressures TCPMemoryPressuresChrono TCPSACKDiscard "
	"TCPDSACKIgnoredOld TCPDSACKIgnoredNoUndo TCPSpuriousRTOs TCPMD5NotFound "
	"TCPMD5Unexpected TCPMD5Failure TCPSackShifted TCPSackMerged "
	"TCPSackShiftFallback TCPBacklogDrop PFMemallocDrop TCPMinTTLDrop "
	"TCPDeferAcceptDrop IPReversePathFilter TCPTimeWaitOverflow "
	"TCPReqQFullDoCookies TCPReqQFullDrop TCPRetransFail TCPRcvCoalesce "
	"TCPOFOQueue TCPOFODrop TCPOFOMerge TCPChallengeACK TCPSYNChallenge "
	"TCPFastOpenActive TCPFastOpenActiveFail TCPFastOpenPassive "
	"TCPFastOpenPassiveFail TCPFastOpenListenOverflow TCPFastOpenCookieReqd "
	"TCPFastOpenBlackhole TCPSpuriousRtxHostQueues BusyPollRxPackets "
	"TCPAutoCorking TCPFromZeroWindowAdv TCPToZeroWindowAdv TCPWantZeroWindowAdv "
	"TCPSynRetrans TCPOrigDataSent TCPHystartTrainDetect TCPHystartTrainCwnd "
	"TCPHystartDelayDetect TCPHystartDelayCwnd TCPACKSkippedSynRecv "
	"TCPACKSkippedPAWS TCPACKSkippedSeq TCPACKSkippedFinWait2 "
	"TCPACKSkippedTimeWait TCPACKSkippedChallenge TCPWinProbe TCPKeepAlive "
	"TCPMTUPFail TCPMTUPSuccess TCPDelivered TCPDeliveredCE TCPAckCompressed "
	"TCPZeroWindowDrop TCPRcvQDrop TCPWqueueTooBig TCPFastOpenPassiveAltKey "
	"TcpTimeoutRehash TcpDuplicateDataRehash TCPDSACKRecvSegs "
	"TCPDSACKIgnoredDubious TCPMigrateReqSuccess TCPMigrateReqFailure "
	"TCPPLBRehash TCPAORequired TCPAOBad TCPAOKeyNotFound TCPAOGood "
	"TCPAODroppedIcmps\n"
	"TcpExt: 100000 100001 100002 100003 100004 100005 100006 100007 100008 "
	"100009 100010 100011 100012 100013 100014 100015 100016 100017 100018 100019 "
	"100020 100021 100022 100023 100024 100025 100026 100027 100028 100029 100030 "
	"100031 100032 100033 100034 100035 100036 100037 100038 100039 100040 100041 "
	"100042 100043 100044 100045 100046 100047 100048 100049 100050 100051 100052 "
	"100053 100054 100055 100056 100057 100058 100059 100060 100061 100062 100063 "
	"100064 100065 100066 100067 100068 100069 100070 100071 100072 100073 100074 "
	"100075 100076 100077 100078 100079 100080 100081 100082 100083 100084 100085 "
	"100086 100087 100088 100089 100090 100091 100092 100093 100094 100095 100096 "
	"100097 100098 100099 100100 100101 100102 100103 100104 100105 100106 100107 "
	"100108 100109 100110 100111 100112 100113 100114 100115 100116 100117 100118 "
	"100119 100120 100121 100122 100123 100124 100125 100126 100127 100128 100129 "
	"100130 100131 100132 100133 100134\n"
	"IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts "
	"OutBcastPkts InOctets OutOctets InMcastOctets OutMcastOctets InBcastOctets "
	"OutBcastOctets InCsumErrors InNoECTPkts InECT1Pkts InECT0Pkts InCEPkts "
	"ReasmOverlaps\n"
	"IpExt: 200000 200001 200002 200003 200004 200005 200006 200007 200008 200009 "
	"200010 200011 200012 200013 200014 200015 200016 200017\n"
	"MPTcpExt: MPCapableSYNRX MPCapableSYNTX MPCapableSYNACKRX MPCapableACKRX "
	"MPCapableFallbackACK MPCapableFallbackSYNACK MPCapableSYNTXDrop "
	"MPCapableSYNTXDisabled MPCapableEndpAttempt MPFallbackTokenInit MPTCPRetrans "
	"MPJoinNoTokenFound MPJoinSynRx MPJoinSynBackupRx MPJoinSynAckRx "
	"MPJoinSynAckBackupRx MPJoinSynAckHMacFailure MPJoinAckRx "
	"MPJoinAckHMacFailure MPJoinRejected MPJoinSynTx MPJoinSynTxCreatSkErr "
	"MPJoinSynTxBindErr MPJoinSynTxConnectErr DSSNotMatching "
	"DSSCorruptionFallback DSSCorruptionReset InfiniteMapTx InfiniteMapRx "
	"DSSNoMatchTCP DataCsumErr OFOQueueTail OFOQueue OFOMerge NoDSSInWindow "
	"DuplicateData AddAddr AddAddrTx AddAddrTxDrop EchoAdd EchoAddTx "
	"EchoAddTxDrop PortAdd AddAddrDrop MPJoinPortSynRx MPJoinPortSynAckRx "
	"MPJoinPortAckRx MismatchPortSynRx MismatchPortAckRx RmAddr RmAddrDrop "
	"RmAddrTx RmAddrTxDrop RmSubflow MPPrioTx MPPrioRx MPFailTx MPFailRx "
	"MPFastcloseTx MPFastcloseRx MPRstTx MPRstRx SubflowStale SubflowRecover "
	"SndWndShared RcvWndShared RcvWndConflictUpdate RcvWndConflict MPCurrEstab "
	"Blackhole MPCapableDataFallback MD5SigFallback DssFallback "
	"SimultConnectFallback FallbackFailed WinProbe\n"
	"MPTcpExt: 300000 300001 300002 300003 300004 300005 300006 300007 300008 "
	"300009 300010 300011 300012 300013 300014 300015 300016 300017 300018 300019 "
	"300020 300021 300022 300023 300024 300025 300026 300027 300028 300029 300030 "
	"300031 300032 300033 300034 300035 300036 300037 300038 300039 300040 300041 "
	"300042 300043 300044 300045 300046 300047 300048 300049 300050 300051 300052 "
	"300053 300054 300055 300056 300057 300058 300059 300060 300061 300062 300063 "
	"300064 300065 300066 300067 300068 300069 300070 300071 300072 300073 300074 "
	"300075\n";

struct seen {
	size_t n;
	char name[512][SNMP_NAME_MAX];
	uint64_t val[512];
	int stop_at;		/* return -EINTR on this call (1-based), 0: never */
};

static int collect(const char *name, uint64_t value, void *arg)
{
	struct seen *s = arg;

	if (s->n < 512) {
		snprintf(s->name[s->n], SNMP_NAME_MAX, "%s", name);
		s->val[s->n] = value;
	}
	s->n++;
	return s->stop_at && (int)s->n == s->stop_at ? -EINTR : 0;
}

static bool has(const struct seen *s, const char *name, uint64_t *v)
{
	for (size_t i = 0; i < s->n && i < 512; i++)
		if (!strcmp(s->name[i], name)) {
			if (v)
				*v = s->val[i];
			return true;
		}
	return false;
}

static uint64_t get(const struct seen *s, const char *name)
{
	uint64_t v = ~0ULL;

	has(s, name, &v);
	return v;
}

static int parse_str(const char *text, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	return snmp_parse(text, strlen(text), collect, s);
}

/*
 * Every field, the test's own way: strtok over a copy, header and values
 * side by side. What the parser passed on must be exactly this, in order.
 */
static void check_all_fields(const char *text, const struct seen *s)
{
	char *copy = strdup(text), *save = NULL, *line, *hdr = NULL, *hs, *vs, *h, *v;
	size_t k = 0, bad = 0;
	char name[SNMP_NAME_MAX];

	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!hdr) {
			hdr = line;
			continue;
		}
		strtok_r(hdr, " ", &hs);
		strtok_r(line, " ", &vs);
		while ((h = strtok_r(NULL, " ", &hs)) && (v = strtok_r(NULL, " ", &vs))) {
			snprintf(name, sizeof(name), "%.*s%s", (int)(strchr(hdr, ':') - hdr), hdr, h);
			if (k >= s->n || strcmp(s->name[k], name) ||
			    s->val[k] != (uint64_t)strtoll(v, NULL, 10))
				if (bad++ < 3)
					printf("  field %zu: want %s=%s, got %s=%llu\n", k, name, v,
					       k < s->n ? s->name[k] : "(none)",
					       k < s->n ? (unsigned long long)s->val[k] : 0ULL);
			k++;
		}
		hdr = NULL;
	}
	CHECK(bad == 0 && k == s->n, "%zu fields differ; %zu expected, %zu passed on", bad, k,
	      s->n);
	free(copy);
}

static void test_snmp_real_layout(void)
{
	static struct seen s;

	CHECK(parse_str(snmp_text, &s) == 0, "snmp: well formed");
	CHECK(s.n == 20 + 29 + 1 + 15 + 9 + 9, "snmp: %zu counters", s.n);
	CHECK(get(&s, "TcpRetransSegs") == 4242, "TcpRetransSegs %llu",
	      (unsigned long long)get(&s, "TcpRetransSegs"));
	CHECK(get(&s, "TcpMaxConn") == (uint64_t)-1, "MaxConn -1 as two's complement");
	CHECK(get(&s, "IpInDiscards") == 7 && get(&s, "IpOutDiscards") == 8, "Ip discards");
	CHECK(get(&s, "UdpInErrors") == 11 && get(&s, "UdpRcvbufErrors") == 12, "Udp errors");
	CHECK(get(&s, "UdpLiteInErrors") == 0, "UdpLite apart from Udp");
	CHECK(get(&s, "IcmpMsgInType3") == 2, "IcmpMsg");
	check_all_fields(snmp_text, &s);

	CHECK(parse_str(netstat_text, &s) == 0, "netstat: well formed");
	CHECK(s.n == 135 + 18 + 76, "netstat: %zu counters", s.n);
	CHECK(get(&s, "TcpExtTCPTimeouts") == 100043, "TCPTimeouts");
	CHECK(get(&s, "TcpExtTCPLossProbes") == 100044, "TCPLossProbes");
	CHECK(get(&s, "TcpExtTCPFastRetrans") == 100041, "TCPFastRetrans");
	CHECK(get(&s, "TcpExtTCPSynRetrans") == 100100, "TCPSynRetrans");
	CHECK(get(&s, "TcpExtTCPLostRetransmit") == 100037, "TCPLostRetransmit");
	CHECK(get(&s, "TcpExtListenDrops") == 100023, "ListenDrops");
	CHECK(get(&s, "TcpExtTCPBacklogDrop") == 100072, "TCPBacklogDrop");
	CHECK(get(&s, "IpExtInOctets") == 200006, "IpExt");
	CHECK(get(&s, "MPTcpExtWinProbe") == 300075, "last field of the last line");
	check_all_fields(netstat_text, &s);
}

static void test_snmp_pick(void)
{
	static const char *const names[] = { "TcpRetransSegs", "TcpExtTCPTimeouts",
					     "NoSuchCounter", "UdpRcvbufErrors" };
	char *both = malloc(sizeof(snmp_text) + sizeof(netstat_text));
	uint64_t v[4] = { 0, 0, 77, 0 };
	bool found[4];

	strcpy(both, snmp_text);
	strcat(both, netstat_text);
	CHECK(snmp_pick(both, strlen(both), names, 4, v, found) == 0, "pick");
	CHECK(found[0] && found[1] && !found[2] && found[3], "found %d %d %d %d", found[0],
	      found[1], found[2], found[3]);
	CHECK(v[0] == 4242 && v[1] == 100043 && v[2] == 77 && v[3] == 12,
	      "values %llu %llu %llu %llu", (unsigned long long)v[0], (unsigned long long)v[1],
	      (unsigned long long)v[2], (unsigned long long)v[3]);
	free(both);
}

static void test_snmp_malformed(void)
{
	static struct seen s;
	static char cut[sizeof(netstat_text)];
	const char *p;

	/* Counts apart: the pair is dropped, the next one still read. */
	CHECK(parse_str("Tcp: A B C\nTcp: 1 2\nUdp: X\nUdp: 5\n", &s) == -EINVAL, "mismatch");
	CHECK(s.n == 1 && get(&s, "UdpX") == 5, "only UdpX: n=%zu", s.n);
	CHECK(parse_str("Tcp: A B\nTcp: 1 2 3\n", &s) == -EINVAL && s.n == 0, "more values");

	/* Cut inside TcpExt's values (a short read): TcpExt gone, nothing invented. */
	p = strstr(netstat_text, "TcpExt: 100000");
	memcpy(cut, netstat_text, (size_t)(p - netstat_text) + 300);
	CHECK(snmp_parse(cut, (size_t)(p - netstat_text) + 300, collect,
			 memset(&s, 0, sizeof(s))) == -EINVAL && s.n == 0,
	      "cut values: n=%zu", s.n);
	/* Cut inside the header: a header whose values never come. */
	CHECK(snmp_parse(netstat_text, 200, collect, memset(&s, 0, sizeof(s))) == -EINVAL &&
	      s.n == 0, "cut header: n=%zu", s.n);
	/* Cut in the second pair: the first stays whole. */
	p = strstr(netstat_text, "IpExt: InNoRoutes");
	CHECK(snmp_parse(netstat_text, (size_t)(p - netstat_text) + 40, collect,
			 memset(&s, 0, sizeof(s))) == -EINVAL && s.n == 135,
	      "cut after TcpExt: n=%zu", s.n);

	/* Numbers: 2^64 - 1 fits, 2^64 does not; -2^63 fits, one less does not. */
	CHECK(parse_str("T: A B C D E\nT: 18446744073709551615 18446744073709551616 "
			"-9223372036854775808 -9223372036854775809 99999999999999999999999\n",
			&s) == -EINVAL, "huge numbers are an error");
	CHECK(s.n == 2 && get(&s, "TA") == UINT64_MAX && get(&s, "TC") == 1ULL << 63 &&
	      !has(&s, "TB", NULL) && !has(&s, "TD", NULL) && !has(&s, "TE", NULL),
	      "only the ones that fit: n=%zu", s.n);
	CHECK(parse_str("T: A B C\nT: 1x 0x10 -\n", &s) == -EINVAL && s.n == 0, "not decimal");

	/* Lines that are no pair. */
	CHECK(parse_str("Tcp: 1 2\n", &s) == -EINVAL && s.n == 0, "values without header");
	CHECK(parse_str("Tcp: 1 2\nTcp: 3 4\n", &s) == -EINVAL && s.n == 0,
	      "two value lines are not a pair");
	CHECK(parse_str("Tcp: A\n", &s) == -EINVAL && s.n == 0, "header without values");
	CHECK(parse_str("no colon here\nTcp: A\nTcp: 9\n", &s) == -EINVAL && s.n == 1 &&
	      get(&s, "TcpA") == 9, "a line without prefix is skipped");
	CHECK(parse_str(": A\n: 1\n", &s) == -EINVAL && s.n == 0, "empty prefix");
	CHECK(parse_str("Tcp: A\nUdp: B\nUdp: 2\n", &s) == -EINVAL && s.n == 1 &&
	      get(&s, "UdpB") == 2, "orphan header, then a good pair");
	CHECK(parse_str("AVeryLongPrefixOfThirtyTwoChars1: AFieldNameOfThirtyThreeCharacters Ok\n"
			"AVeryLongPrefixOfThirtyTwoChars1: 1 2\n", &s) == -EINVAL &&
	      s.n == 1 && get(&s, "AVeryLongPrefixOfThirtyTwoChars1Ok") == 2,
	      "a name too long for SNMP_NAME_MAX is skipped, n=%zu", s.n);
	CHECK(snmp_parse("Tcp: A\0B\nTcp: 1\n", 16, collect, memset(&s, 0, sizeof(s))) ==
	      -EINVAL && s.n == 0, "a NUL inside a name");

	/* Fine: empty input, blank lines, no final newline, tabs. */
	CHECK(parse_str("", &s) == 0 && s.n == 0, "empty");
	CHECK(snmp_parse(NULL, 0, collect, memset(&s, 0, sizeof(s))) == 0, "NULL, 0");
	CHECK(parse_str("\n\nTcp:\tA  B\n\nTcp: 1\t2", &s) == 0 && s.n == 2 &&
	      get(&s, "TcpB") == 2, "blank lines, tabs, no final newline");

	/* The callback's error stops the parse and comes back. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 3;
	CHECK(snmp_parse(snmp_text, strlen(snmp_text), collect, &s) == -EINTR && s.n == 3,
	      "stopped at 3: n=%zu", s.n);
}

/* Random damage to real text: no crash (ASan build), only 0 or -EINVAL. */
static void test_snmp_random_damage(void)
{
	static struct seen s;
	static char buf[sizeof(netstat_text)];
	int bad = 0;

	for (int round = 0; round < 2000; round++) {
		size_t len = sizeof(netstat_text) - 1, k;
		int ret;

		memcpy(buf, netstat_text, len);
		for (int j = 0; j < 1 + round % 8; j++) {
			k = unit_rng() % len;
			buf[k] = (char)(unit_rng() % 4 == 0 ? "\n :-9\0"[unit_rng() % 6]
							    : (char)unit_rng());
		}
		if (round % 3 == 0)
			len = unit_rng() % len;
		ret = snmp_parse(buf, len, collect, memset(&s, 0, sizeof(s)));
		if (ret != 0 && ret != -EINVAL)
			bad++;
		for (size_t i = 0; i < s.n && i < 512; i++)
			if (strlen(s.name[i]) >= SNMP_NAME_MAX - 1)
				bad++;
	}
	CHECK(bad == 0, "%d bad results", bad);
}

/* softnet_stat of a 2-CPU 6.18 kernel (15 columns), numbers changed. */
static const char softnet_text[] =
	"1667b04c 0000008f 0000001c 00000000 00000000 00000000 00000000 00000000 "
	"00000000 000281bc 00000005 00000000 00000000 00000000 00000000\n"
	"0c12813c 00000003 00000016 00000000 00000000 00000000 00000000 00000000 "
	"00000000 00000000 00000002 00000000 00000001 00000000 00000000\n";

static int sn_parse(const char *text, struct softnet_stat *s)
{
	return softnet_parse(text, strlen(text), s);
}

static void test_softnet(void)
{
	struct softnet_stat s;

	CHECK(softnet_parse(softnet_text, strlen(softnet_text), &s) == 0, "parse");
	CHECK(s.ncpu == 2 && s.cpu[0].cpu == 0 && s.cpu[1].cpu == 1, "CPUs from column 13");
	CHECK(s.sum.processed == 578433416ULL, "processed %llu (0x1667b04c + 0x0c12813c)",
	      (unsigned long long)s.sum.processed);
	CHECK(s.sum.dropped == 146 && s.sum.time_squeeze == 50, "dropped %llu squeeze %llu",
	      (unsigned long long)s.sum.dropped, (unsigned long long)s.sum.time_squeeze);
	CHECK(s.has_flow_limit && s.sum.flow_limit_count == 7,
	      "flow_limit is column 11, not received_rps (column 10): %llu",
	      (unsigned long long)s.sum.flow_limit_count);
	softnet_free(&s);

	/* Before 3.11: 10 columns, no flow limit; before 5.10: no CPU column. */
	CHECK(sn_parse("00000010 00000001 00000002 0 0 0 0 0 0 0\n"
			    "00000020 00000000 00000000 0 0 0 0 0 0 0\n", &s) == 0 &&
	      s.ncpu == 2 && !s.has_flow_limit && s.sum.processed == 0x30 &&
	      s.cpu[1].cpu == 1, "10 columns");
	softnet_free(&s);

	/* CPU 1 offline: the lines say 0 and 2. */
	CHECK(sn_parse("1 0 0 0 0 0 0 0 0 0 0 0 0\n2 0 0 0 0 0 0 0 0 0 0 0 2\n", &s) == 0 &&
	      s.ncpu == 2 && s.cpu[1].cpu == 2, "CPU numbers from the kernel");
	softnet_free(&s);

	CHECK(sn_parse("", &s) == 0 && s.ncpu == 0 && s.sum.processed == 0, "empty");
	softnet_free(&s);
	CHECK(sn_parse("00000001 00000002\n00000004 00000000 00000000\n", &s) ==
	      -EINVAL && s.ncpu == 1 && s.sum.processed == 4, "2 columns: skipped");
	softnet_free(&s);
	CHECK(sn_parse("0000000g 0 0\n100000000 0 0\n5 0 0 zz\n8 0 0\n", &s) ==
	      -EINVAL && s.ncpu == 1 && s.sum.processed == 8,
	      "not hex, beyond 32 bits, junk column: skipped (%zu)", s.ncpu);
	softnet_free(&s);
}

static void test_softnet_delta(void)
{
	struct softnet_cpu ca[] = { { 0, 0xfffffff0, 5, 1, 0 }, { 1, 100, 0, 0, 0 } };
	struct softnet_cpu cb[] = { { 1, 150, 0, 2, 0 }, { 0, 0x10, 7, 1, 3 }, { 3, 9, 1, 0, 0 } };
	struct softnet_stat a = { .ncpu = 2, .cpu = ca }, b = { .ncpu = 3, .cpu = cb };
	struct softnet_sum d;

	softnet_delta(&a, &b, &d);
	/* CPU 0 wrapped: 0x20; CPU 1: 50; CPU 3 is new: 9 from zero. */
	CHECK(d.processed == 0x20 + 50 + 9, "processed %llu", (unsigned long long)d.processed);
	CHECK(d.dropped == 2 + 1 && d.time_squeeze == 2 && d.flow_limit_count == 3,
	      "dropped %llu squeeze %llu flow %llu", (unsigned long long)d.dropped,
	      (unsigned long long)d.time_squeeze, (unsigned long long)d.flow_limit_count);
}

/* Several reads through one fd, from offset 0, each the whole file. */
static void test_procbuf(void)
{
	char path[] = "/tmp/ds-procbuf-XXXXXX";
	struct procbuf b = { 0 };
	size_t size = 100000;
	char *text = malloc(size);
	int fd = mkstemp(path);

	for (size_t i = 0; i < size; i++)
		text[i] = (char)('a' + i % 26);
	CHECK(fd >= 0 && write(fd, text, size) == (ssize_t)size, "write");
	for (int round = 0; round < 2; round++) {
		CHECK(procbuf_read(&b, fd) == 0, "read %d", round);
		CHECK(b.len == size && !memcmp(b.p, text, size) && b.p[size] == 0,
		      "round %d: %zu bytes", round, b.len);
	}
	procbuf_free(&b);
	close(fd);
	unlink(path);
	free(text);
}

/* The running kernel's files: constants it must show, and no parse error. */
static void test_snmp_running_kernel(void)
{
	static struct seen s;
	struct procbuf b = { 0 };
	struct softnet_stat sn;
	char ttl[16] = "";
	int fd;

	fd = open("/proc/self/net/snmp", O_RDONLY);
	CHECK(fd >= 0 && procbuf_read(&b, fd) == 0, "read snmp");
	CHECK(snmp_parse(b.p, b.len, collect, memset(&s, 0, sizeof(s))) == 0, "snmp parses");
	CHECK(get(&s, "TcpRtoMin") == 200 && get(&s, "TcpRtoMax") == 120000 &&
	      get(&s, "TcpMaxConn") == (uint64_t)-1, "TCP's RTO bounds (ms) and MaxConn -1");
	close(fd);
	fd = open("/proc/sys/net/ipv4/ip_default_ttl", O_RDONLY);
	CHECK(fd >= 0 && read(fd, ttl, sizeof(ttl) - 1) > 0, "ip_default_ttl");
	CHECK(get(&s, "IpDefaultTTL") == strtoull(ttl, NULL, 10), "IpDefaultTTL %llu, sysctl %s",
	      (unsigned long long)get(&s, "IpDefaultTTL"), ttl);
	close(fd);
	fd = open("/proc/self/net/netstat", O_RDONLY);
	CHECK(fd >= 0 && procbuf_read(&b, fd) == 0, "read netstat");
	CHECK(snmp_parse(b.p, b.len, collect, memset(&s, 0, sizeof(s))) == 0 &&
	      has(&s, "TcpExtTCPTimeouts", NULL), "netstat parses");
	close(fd);
	fd = open("/proc/self/net/softnet_stat", O_RDONLY);
	CHECK(fd >= 0 && procbuf_read(&b, fd) == 0, "read softnet_stat");
	CHECK(softnet_parse(b.p, b.len, &sn) == 0 && sn.ncpu == (size_t)sysconf(_SC_NPROCESSORS_ONLN),
	      "one line per online CPU: %zu", sn.ncpu);
	softnet_free(&sn);
	close(fd);
	procbuf_free(&b);
}

int main(void)
{
	RUN(test_snmp_real_layout);
	RUN(test_snmp_pick);
	RUN(test_snmp_malformed);
	RUN(test_snmp_random_damage);
	RUN(test_softnet);
	RUN(test_softnet_delta);
	RUN(test_procbuf);
	RUN(test_snmp_running_kernel);
	return unit_done();
}
