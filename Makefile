# cloudseed: build the static binary and install it with its initramfs glue.
#   make                      build (static, release) into target/cloudseed-static
#   make install DESTDIR=/x   install (run `make` first when installing as root)
#   make uninstall DESTDIR=/x
# The dracut unit and the initramfs-tools scripts call /usr/sbin/cloudseed, so
# keep PREFIX=/usr unless you also edit them.
PREFIX ?= /usr
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
DRACUTDIR ?= $(PREFIX)/lib/dracut/modules.d/50cloudseed
ITOOLSDIR ?= $(PREFIX)/share/initramfs-tools
INSTALL ?= install

BIN := target/cloudseed-static
DRACUT_SRC := dracut/modules.d/50cloudseed

.PHONY: all build install uninstall

all: build

# cargo decides what is stale; the copy gives install a fixed path.
build:
	cp "$$(tests/lib/build.sh)" $(BIN).tmp && mv $(BIN).tmp $(BIN)

$(BIN):
	$(MAKE) build

install: $(BIN)
	$(INSTALL) -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/cloudseed
	$(INSTALL) -D -m 0755 $(DRACUT_SRC)/module-setup.sh $(DESTDIR)$(DRACUTDIR)/module-setup.sh
	$(INSTALL) -D -m 0755 $(DRACUT_SRC)/cloudseed-initrd.sh $(DESTDIR)$(DRACUTDIR)/cloudseed-initrd.sh
	$(INSTALL) -D -m 0755 $(DRACUT_SRC)/cloudseed-hook.sh $(DESTDIR)$(DRACUTDIR)/cloudseed-hook.sh
	$(INSTALL) -D -m 0755 $(DRACUT_SRC)/cloudseed-pre-pivot.sh $(DESTDIR)$(DRACUTDIR)/cloudseed-pre-pivot.sh
	$(INSTALL) -D -m 0644 $(DRACUT_SRC)/cloudseed.service $(DESTDIR)$(DRACUTDIR)/cloudseed.service
	$(INSTALL) -D -m 0644 $(DRACUT_SRC)/cloudseed-handoff.service $(DESTDIR)$(DRACUTDIR)/cloudseed-handoff.service
	$(INSTALL) -D -m 0755 initramfs-tools/hooks/cloudseed $(DESTDIR)$(ITOOLSDIR)/hooks/cloudseed
	$(INSTALL) -D -m 0755 initramfs-tools/scripts/init-premount/cloudseed \
		$(DESTDIR)$(ITOOLSDIR)/scripts/init-premount/cloudseed
	$(INSTALL) -D -m 0755 initramfs-tools/scripts/init-bottom/cloudseed \
		$(DESTDIR)$(ITOOLSDIR)/scripts/init-bottom/cloudseed
	@echo "installed; dracut: add_dracutmodules+=\" cloudseed \" in /etc/dracut.conf.d/, then rebuild the initrd;"
	@echo "initramfs-tools: update-initramfs -u"

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/cloudseed
	rm -f $(DESTDIR)$(DRACUTDIR)/module-setup.sh $(DESTDIR)$(DRACUTDIR)/cloudseed-initrd.sh \
		$(DESTDIR)$(DRACUTDIR)/cloudseed-hook.sh $(DESTDIR)$(DRACUTDIR)/cloudseed.service \
		$(DESTDIR)$(DRACUTDIR)/cloudseed-pre-pivot.sh $(DESTDIR)$(DRACUTDIR)/cloudseed-handoff.service
	-rmdir $(DESTDIR)$(DRACUTDIR)
	rm -f $(DESTDIR)$(ITOOLSDIR)/hooks/cloudseed $(DESTDIR)$(ITOOLSDIR)/scripts/init-premount/cloudseed \
		$(DESTDIR)$(ITOOLSDIR)/scripts/init-bottom/cloudseed
