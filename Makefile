# dropscope — one binary, objects in .output/, sanitizer build in .output/asan/.
# `make V=1` shows full commands.

CC      ?= gcc
OUT     := .output
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Wformat=2 -Wmissing-prototypes -Wshadow \
           -Wno-unused-parameter -Wno-missing-field-initializers
ENGINES := common rr analyze drops diagnose shape
CPPFLAGS += -Isrc $(ENGINES:%=-Isrc/%) -Ilab/wanemu -I$(OUT)/bpf -D_GNU_SOURCE
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS)
PCAP_LIBS := $(shell pkg-config --libs libpcap 2>/dev/null || echo -lpcap)
BPF_LIBS  := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz)
MNL_LIBS  := $(shell pkg-config --libs libmnl 2>/dev/null || echo -lmnl)
INIH_LIBS := $(shell pkg-config --libs inih 2>/dev/null || echo -linih)
NFT_LIBS  := $(shell pkg-config --libs libnftables 2>/dev/null || echo -lnftables)
SD_LIBS   := $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
LDLIBS  += $(PCAP_LIBS) $(BPF_LIBS) $(MNL_LIBS) $(INIH_LIBS) $(NFT_LIBS) $(SD_LIBS) -lpthread -lm
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

LIB_SRCS  := $(filter-out %.bpf.c,$(foreach e,$(ENGINES),$(wildcard src/$(e)/*.c)))
LIB_HDRS  := $(foreach e,$(ENGINES),$(wildcard src/$(e)/*.h))
CMD_SRCS  := src/main.c $(wildcard src/cmd_*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNITS     := $(patsubst tests/unit/%.c,%,$(UNIT_SRCS))
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(OUT)/tools/%)

# BPF: clang -target bpf -> llvm-strip -g -> bpftool skeleton, embedded in the binary.
BPF_CLANG   ?= clang
BPFTOOL     ?= bpftool
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
BPF_SRCS    := $(wildcard src/drops/*.bpf.c)
SKELS       := $(BPF_SRCS:src/drops/%.bpf.c=$(OUT)/bpf/%.skel.h)
BPF_ARCH    := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

LIB_OBJS      := $(LIB_SRCS:%.c=$(OUT)/%.o)
CMD_OBJS      := $(CMD_SRCS:%.c=$(OUT)/%.o)
ASAN_LIB_OBJS := $(LIB_SRCS:%.c=$(OUT)/asan/%.o)
ASAN_CMD_OBJS := $(CMD_SRCS:%.c=$(OUT)/asan/%.o)

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(OUT)/fuzz/%)
FUZZ_CC   ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_OBJ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(OUT)/fuzz/obj/%.o)

BIN       := dropscope
# lab/wanemu: the provider emulator the WAN lab runs; its model is unit-tested.
WANEMU_HDRS := $(wildcard lab/wanemu/*.h)
WANEMU      := $(OUT)/wanemu
ASAN_WANEMU := $(OUT)/asan/wanemu
ASAN_BIN  := $(OUT)/asan/dropscope
UNIT_BINS := $(UNITS:%=$(OUT)/tests/%) $(UNITS:%=$(OUT)/asan/tests/%)

.PHONY: all clean deps test unit asan fuzz tools demo bench wanemu
all: $(BIN) $(WANEMU)

$(BIN): $(CMD_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(ASAN_BIN): $(ASAN_CMD_OBJS) $(ASAN_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/%.o: %.c $(wildcard src/*.h) $(LIB_HDRS)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -c -o $@ $<

$(OUT)/asan/%.o: %.c $(wildcard src/*.h) $(LIB_HDRS)
	$(call msg,CC-SAN,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN) -MMD -c -o $@ $<

$(WANEMU): $(OUT)/lab/wanemu/wanemu.o $(OUT)/lab/wanemu/wan_core.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^

$(ASAN_WANEMU): $(OUT)/asan/lab/wanemu/wanemu.o $(OUT)/asan/lab/wanemu/wan_core.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^

$(OUT)/lab/wanemu/%.o $(OUT)/asan/lab/wanemu/%.o: $(WANEMU_HDRS)
$(OUT)/tests/test_wan_core: $(OUT)/lab/wanemu/wan_core.o
$(OUT)/asan/tests/test_wan_core: $(OUT)/asan/lab/wanemu/wan_core.o

wanemu: $(WANEMU) $(ASAN_WANEMU)

# vmlinux.h from the build machine's BTF; CO-RE relocates to the running kernel.
$(OUT)/bpf/vmlinux.h:
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(OUT)/bpf/%.bpf.o: src/drops/%.bpf.c src/drops/drops.h $(OUT)/bpf/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(BPF_CLANG) -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(BPF_ARCH) \
		-I$(OUT)/bpf -Isrc/drops -c $< -o $@
	$(Q)llvm-strip -g $@

$(OUT)/bpf/%.skel.h: $(OUT)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

# Every object may include a skeleton: build those first.
$(LIB_OBJS) $(CMD_OBJS) $(ASAN_LIB_OBJS) $(ASAN_CMD_OBJS): | $(SKELS)

$(OUT)/tests/%: $(OUT)/tests/unit/%.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/asan/tests/%: $(OUT)/asan/tests/unit/%.o $(ASAN_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# libFuzzer targets: every parser of untrusted input, with the lib linked in.
# The lib is compiled for them once (coverage, ASan, UBSan; no fuzzer main):
# each target compiling it anew cost 34 s, 13 targets 7 minutes of a build.
$(OUT)/fuzz/obj/%.o: %.c $(LIB_HDRS) $(SKELS)
	$(call msg,CC-FUZZ,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 $(WARN) $(FUZZ_OBJ_FLAGS) -c -o $@ $<

$(OUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS) $(LIB_HDRS) $(SKELS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 $(WARN) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIB_OBJS) $(LDLIBS)

# lab/wanemu's frame parser: its model's file, not the lib.
$(OUT)/fuzz/fuzz_wanframe: tests/fuzz/fuzz_wanframe.c lab/wanemu/wan_core.c $(WANEMU_HDRS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -std=gnu11 $(WARN) $(FUZZ_FLAGS) -o $@ $< lab/wanemu/wan_core.c -lm

# Test-only programs (capture generators ...), linked with the lib.
$(OUT)/tools/%: $(OUT)/tests/tools/%.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# pngink reads the PNGs a browser renders.
$(OUT)/tools/pngink: LDLIBS += $(shell pkg-config --libs zlib 2>/dev/null || echo -lz)

tools: $(TOOL_BINS)
unit: $(UNIT_BINS)
asan: $(ASAN_BIN) $(ASAN_WANEMU)
fuzz: $(FUZZ_BINS)

# The whole suite: unit (plain and sanitized), fuzz replay, CLI, network namespaces.
test: $(BIN) $(WANEMU) $(ASAN_BIN) $(ASAN_WANEMU) $(UNIT_BINS) $(FUZZ_BINS) $(TOOL_BINS)
	$(Q)tests/run.sh

deps:
	$(Q)scripts/deps.sh

# The README's self-contained default: a short rr run between two namespaces.
demo: $(BIN) tools
	$(Q)lab/rr.sh
	$(Q)lab/vm.sh -D

bench: $(BIN)
	$(Q)bench/rr.sh
	$(Q)bench/analyze.sh
	$(Q)bench/drops.sh
	$(Q)bench/drops_events.sh
	$(Q)bench/diagnose.sh

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUT) $(BIN)

-include $(shell find $(OUT) -name '*.d' 2>/dev/null)

# Keep unit-test objects: they are intermediates of a chain rule.
.SECONDARY:
