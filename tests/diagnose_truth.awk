# SPDX-License-Identifier: GPL-2.0
# The ground truth of tests/diagnose_lib.sh (read its header): tshark's
# fields of the NFLOG, server-side and client-side captures, in that order,
# to one JSON object.  Variables: srv (the server's address), ctl (the rr
# control port), thr (the tail threshold, ms), loss (tcpdump's statistics).
#
# Fields: 1 time 2 src 3 dst 4 ip.id 5 ip.proto 6 sport 7 dport 8 seq 9 ack
# 10 len 11 syn 12 fin 13 rst 14 SACK left edges 15 SACK right edges.

function yes(v) { return v == "1" || v == "True" }

function key() { return $2 ">" $3 "/" $4 "/" $5 "/" $6 ">" $7 "/" $8 "/" $10 "/" yes($11) yes($12) yes($13) }

# below(a, b): a is before b in sequence space.
function below(a, b,  d) {
	d = (b - a) % 4294967296
	if (d < 0)
		d += 4294967296
	return d > 0 && d < 2147483648
}

function dsack(  le, re, n) {
	if ($14 == "")
		return 0
	n = split($14, le, ",")
	split($15, re, ",")
	if (below(le[1], $9))
		return 1
	return n >= 2 && !below(le[1], le[2]) && !below(re[2], re[1])
}

# flow(): the rr data connection this packet is on ("" for anything else).
function flow(  cport, sport) {
	if ($5 != 6)
		return ""
	if ($2 == srv) {
		sport = $6
		cport = $7
	} else {
		sport = $7
		cport = $6
	}
	return sport == ctl ? "" : cport
}

# classify(dir): the class of this packet as its sender sent it; counts its copies.
function classify(dir,  f, fs) {
	f = flow()
	if (f == "" || yes($13))
		return "other"
	if ($10 > 0) {
		fs = dir SUBSEP f SUBSEP $8
		copy = ++copies[fs]
		if (copy == 1)
			return dir == "cs" ? "request" : "response"
		return "retransmission"
	}
	if (yes($11))
		return "syn"
	if (yes($12))
		return "fin"
	return dsack() ? "dsack" : "ack"
}

FILENAME ~ /n\.txt$/ {
	nflog[key()] = 1
	npk++
	next
}

FILENAME ~ /s\.txt$/ {
	inS[key()] = 1
	spk++
	if ($2 != srv)
		next
	copy = 0
	sc_n++
	sc_key[sc_n] = key()
	sc_cls[sc_n] = classify("sc")
	if (copy)
		sc_fs[sc_n] = "sc" SUBSEP flow() SUBSEP $8 SUBSEP copy
	next
}

FILENAME ~ /c\.txt$/ {
	inC[key()] = 1
	cpk++
	f = flow()
	if ($2 == srv) {
		# A response's first arrival at the client, in the order they come.
		if (f != "" && $10 > 0 && !((f, $8) in resp_seen)) {
			resp_seen[f, $8] = 1
			k = ++nresp[f]
			resp_seq[f, k] = $8
			resp_t[f, k] = $1
		}
		next
	}
	copy = 0
	cs_n++
	cs_key[cs_n] = key()
	cs_cls[cs_n] = classify("cs")
	if (copy) {
		cs_fs[cs_n] = "cs" SUBSEP f SUBSEP $8 SUBSEP copy
		if (copy == 1) {
			k = ++nreq[f]
			req_seq[f, k] = $8
			req_t[f, k] = $1
			flows[f] = 1
		}
	}
	next
}

function count(where, cls) {
	drops[where, "total"]++
	drops[where, cls]++
}

# mark(fs): note the drop of a data copy ("dir" SUBSEP flow SUBSEP seq SUBSEP copy).
function mark(fs,  p) {
	if (fs == "")
		return
	split(fs, p, SUBSEP)
	ndropped[p[1], p[2], p[3]]++
	if (p[4] == 1)
		first_dropped[p[1], p[2], p[3]] = 1
}

# dropped(k, cls, fs, there, gap): count a sent packet (key k) the NFLOG holds, or the receiving side (there) never saw.
function dropped(k, cls, fs, there, gap) {
	if (k in nflog)
		count("nflog", cls)
	else if (!(k in there))
		count(gap, cls)
	else
		return
	mark(fs)
}

function classes(where,  out, i, c) {
	out = "{\"total\":" (drops[where, "total"] + 0)
	for (i = 1; i <= ncls; i++) {
		c = cls_names[i]
		out = out ",\"" c "\":" (drops[where, c] + 0)
	}
	return out "}"
}

END {
	ncls = split("request response retransmission ack dsack fin syn other", cls_names, " ")
	for (i = 1; i <= cs_n; i++)
		dropped(cs_key[i], cs_cls[i], cs_fs[i], inS, "cs_gap")
	for (i = 1; i <= sc_n; i++)
		dropped(sc_key[i], sc_cls[i], sc_fs[i], inC, "sc_gap")
	for (f in flows) {
		n = nreq[f] < nresp[f] ? nreq[f] : nresp[f]
		for (k = 1; k <= n; k++) {
			if ((resp_t[f, k] - req_t[f, k]) * 1000 < thr)
				continue
			tails++
			if (("cs", f, req_seq[f, k]) in first_dropped) {
				if (ndropped["cs", f, req_seq[f, k]] >= 2)
					t_redrop++
				else
					t_drop++
			} else if (("sc", f, resp_seq[f, k]) in first_dropped) {
				t_resp++
			} else {
				t_none++
			}
		}
	}
	printf "{\"cs_gap\":%s,\"sc_gap\":%s,\"nflog\":%s,", classes("cs_gap"), classes("sc_gap"), classes("nflog")
	printf "\"tails\":{\"count\":%d,\"request_dropped\":%d,\"request_redropped\":%d,", tails, t_drop, t_redrop
	printf "\"response_dropped\":%d,\"no_drop\":%d},", t_resp, t_none
	printf "\"packets\":{\"c\":%d,\"s\":%d,\"nflog\":%d},\"capture_loss\":\"%s\"}\n", cpk, spk, npk, loss
}
