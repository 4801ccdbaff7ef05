#!/bin/sh
# /usr/lib/cloudseed/cloudseed-initrd: cloudseed's failure policy for the
# initrd. A failure (non-zero exit) stops the boot only with cloudseed.required
# on the kernel cmdline; otherwise the boot goes on and cloud-init can retry.
#   cloudseed-initrd             run cloudseed; exit 1 only if it failed and is
#                                required (dracut hooks without systemd)
#   cloudseed-initrd stop-post   ExecStopPost of cloudseed.service: if the unit
#                                did not succeed and cloudseed is required, go
#                                to emergency mode

# Same rule as cloudseed's own parser: a bare cloudseed.required or any value
# but 0/no/false/off turns it on, the last occurrence wins.
required() {
    req=no
    # CLOUDSEED_PROC: a test seam (tests/boot/fast.sh), like cloudseed's --cmdline.
    for tok in $(cat "${CLOUDSEED_PROC:-/proc}/cmdline" 2>/dev/null); do
        case $tok in
            cloudseed.required=0 | cloudseed.required=no | cloudseed.required=false | cloudseed.required=off) req=no ;;
            cloudseed.required | cloudseed.required=*) req=yes ;;
        esac
    done
    [ "$req" = yes ]
}

case ${1:-run} in
    stop-post)
        # systemd sets SERVICE_RESULT (success, exit-code, timeout, signal…).
        [ "${SERVICE_RESULT:-success}" = success ] && exit 0
        if required; then
            echo "cloudseed: failed (${SERVICE_RESULT}) and cloudseed.required is set: emergency mode" >&2
            systemctl --no-block start --job-mode=replace-irreversibly emergency.target
        else
            echo "cloudseed: failed (${SERVICE_RESULT}); boot continues, cloud-init may still find its data" >&2
        fi
        exit 0
        ;;
    run)
        /usr/sbin/cloudseed
        rc=$?
        [ "$rc" = 0 ] && exit 0
        if required; then
            echo "cloudseed: exit $rc and cloudseed.required is set" >&2
            exit 1
        fi
        echo "cloudseed: exit $rc; boot continues, cloud-init may still find its data" >&2
        exit 0
        ;;
    *)
        echo "usage: cloudseed-initrd [run|stop-post]" >&2
        exit 2
        ;;
esac
