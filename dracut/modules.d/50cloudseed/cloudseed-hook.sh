#!/bin/sh
# dracut pre-mount hook for an initrd without systemd: phase 1. Hooks are
# sourced by dracut's init, so no "exit" here; emergency_shell honours
# rd.shell=0 and rd.emergency=.
if ! /usr/lib/cloudseed/cloudseed-initrd stage; then
    emergency_shell -n cloudseed "cloudseed failed and cloudseed.required is set"
fi
