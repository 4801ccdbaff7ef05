# cloudseed: build the static binary and install it with its initramfs glue.
#   make                      build (static, release) into target/cloudseed-static
#   make install DESTDIR=/x   install (run `make` first when installing as root)
#   make install BIN=path     install a binary built elsewhere (debian/rules, the RPM spec)
#   make uninstall DESTDIR=/x
#   make vendor               vendor/ with every crate, for an offline package build
# The dracut unit and the initramfs-tools scripts call /usr/sbin/cloudseed, so
# keep PREFIX=/usr unless you also edit them.
# FILES below is the one install list: the .deb (debian/rules) and the RPM
# (rpm/cloudseed.spec) both run `make install`, so a file added here is packaged.
PREFIX ?= /usr
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
DRACUTDIR ?= $(PREFIX)/lib/dracut/modules.d/50cloudseed
DRACUTCONFDIR ?= $(PREFIX)/lib/dracut/dracut.conf.d
ITOOLSDIR ?= $(PREFIX)/share/initramfs-tools
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/cloudseed
INSTALL ?= install

BIN ?= target/cloudseed-static
DRACUT_SRC := dracut/modules.d/50cloudseed

# mode  source  destination (under DESTDIR)
FILES := \
	0755:$(DRACUT_SRC)/module-setup.sh:$(DRACUTDIR)/module-setup.sh \
	0755:$(DRACUT_SRC)/cloudseed-initrd.sh:$(DRACUTDIR)/cloudseed-initrd.sh \
	0755:$(DRACUT_SRC)/cloudseed-hook.sh:$(DRACUTDIR)/cloudseed-hook.sh \
	0755:$(DRACUT_SRC)/cloudseed-pre-pivot.sh:$(DRACUTDIR)/cloudseed-pre-pivot.sh \
	0644:$(DRACUT_SRC)/cloudseed.service:$(DRACUTDIR)/cloudseed.service \
	0644:$(DRACUT_SRC)/cloudseed-handoff.service:$(DRACUTDIR)/cloudseed-handoff.service \
	0755:initramfs-tools/hooks/cloudseed:$(ITOOLSDIR)/hooks/cloudseed \
	0755:initramfs-tools/scripts/init-premount/cloudseed:$(ITOOLSDIR)/scripts/init-premount/cloudseed \
	0755:initramfs-tools/scripts/init-bottom/cloudseed:$(ITOOLSDIR)/scripts/init-bottom/cloudseed \
	0644:man/cloudseed.8:$(MANDIR)/man8/cloudseed.8 \
	0644:man/cloudseed-cmdline.7:$(MANDIR)/man7/cloudseed-cmdline.7 \
	0644:readonly-root/cloudseed-readonly-root.conf:$(DATADIR)/readonly-root/cloudseed-readonly-root.conf \
	0644:readonly-root/var-lib-cloud.mount:$(DATADIR)/readonly-root/var-lib-cloud.mount

# Packages only: installing the package is the opt-in for dracut, as it is for
# initramfs-tools (whose hooks are always run). `make install` leaves dracut opt-in.
PKG_FILES := \
	0644:dracut/50-cloudseed.conf:$(DRACUTCONFDIR)/50-cloudseed.conf

.PHONY: all build install install-package uninstall vendor

all: build

# cargo decides what is stale; the copy gives install a fixed path.
build:
	cp "$$(tests/lib/build.sh)" $(BIN).tmp && mv $(BIN).tmp $(BIN)

target/cloudseed-static:
	$(MAKE) build

install: $(BIN)
	$(INSTALL) -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/cloudseed
	@set -e; for f in $(FILES); do \
		m=$${f%%:*}; r=$${f#*:}; src=$${r%%:*}; dst=$${r#*:}; \
		$(INSTALL) -D -m $$m $$src $(DESTDIR)$$dst; \
	done
	@echo "installed; dracut: add_dracutmodules+=\" cloudseed \" in /etc/dracut.conf.d/, then rebuild the initrd;"
	@echo "initramfs-tools: update-initramfs -u"

install-package: install
	@set -e; for f in $(PKG_FILES); do \
		m=$${f%%:*}; r=$${f#*:}; src=$${r%%:*}; dst=$${r#*:}; \
		$(INSTALL) -D -m $$m $$src $(DESTDIR)$$dst; \
	done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/cloudseed
	@for f in $(FILES) $(PKG_FILES); do r=$${f#*:}; rm -f $(DESTDIR)$${r#*:}; done
	-rmdir $(DESTDIR)$(DRACUTDIR) $(DESTDIR)$(DATADIR)/readonly-root $(DESTDIR)$(DATADIR)

# Every crate in Cargo.lock, for a build with no network (debian/rules and the
# spec use it through --config source replacement when vendor/ exists).
vendor:
	cargo vendor -q --locked --versioned-dirs vendor > /dev/null
