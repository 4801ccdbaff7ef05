#!/bin/sh
# /usr/lib/cloudseed/cloudseed-initrd: runs cloudseed in a dracut initrd and
# applies its failure policy, which the binary decides alone: exit 3 means
# "cloudseed.required is set and this failed: stop the boot"; any other code
# lets the boot go on (cloud-init in the root can still find its data). This
# script never reads the kernel command line itself.
#   cloudseed-initrd stage         phase 1, before the root mount (pre-mount hook)
#   cloudseed-initrd handoff ROOT  phase 2, the root mounted at ROOT (pre-pivot hook)
#   cloudseed-initrd run           both at once, without the root's config
#   cloudseed-initrd stop-post     ExecStopPost of both units: emergency mode
#                                  on exit 3, or on a timeout/signal when
#                                  cloudseed.required is set
# Exit 1 from stage/handoff/run means "stop the boot" (hooks without systemd).
# Test seams: CLOUDSEED_BIN (the binary), CLOUDSEED_PROC (a fake /proc).
cs=${CLOUDSEED_BIN:-/usr/sbin/cloudseed}
# Written by module-setup.sh: "dracut-net" when a network module is in the image.
gen=$(cat /usr/lib/cloudseed/generator 2> /dev/null) || gen=dracut
[ -n "$gen" ] || gen=dracut

verdict() { # $1 = cloudseed's exit code
    case $1 in
        0) exit 0 ;;
        3)
            echo "cloudseed: exit 3: cloudseed.required is set and no data was handed off" >&2
            exit 1
            ;;
        *)
            echo "cloudseed: exit $1; boot continues, cloud-init may still find its data" >&2
            exit 0
            ;;
    esac
}

case ${1:-run} in
    stage)
        "$cs" run --stage --generator "$gen"
        verdict $?
        ;;
    handoff)
        "$cs" handoff --root "${2:-/sysroot}"
        verdict $?
        ;;
    run)
        "$cs"
        verdict $?
        ;;
    stop-post)
        # systemd sets SERVICE_RESULT (success, exit-code, timeout, signal…)
        # and, for exit-code, EXIT_STATUS.
        [ "${SERVICE_RESULT:-success}" = success ] && exit 0
        if [ "$SERVICE_RESULT" = exit-code ] && [ -n "${EXIT_STATUS:-}" ]; then
            rc=$EXIT_STATUS
        elif [ -n "${CLOUDSEED_PROC:-}" ]; then
            "$cs" required --cmdline "$(cat "$CLOUDSEED_PROC/cmdline")"
            rc=$?
        else
            # Killed (timeout, signal): ask the binary whether it was required.
            "$cs" required
            rc=$?
        fi
        if [ "$rc" = 3 ]; then
            echo "cloudseed: ${SERVICE_RESULT} and cloudseed.required is set: emergency mode" >&2
            systemctl --no-block start --job-mode=replace-irreversibly emergency.target
        else
            echo "cloudseed: ${SERVICE_RESULT}; boot continues, cloud-init may still find its data" >&2
        fi
        exit 0
        ;;
    *)
        echo "usage: cloudseed-initrd [stage|handoff ROOT|run|stop-post]" >&2
        exit 2
        ;;
esac
