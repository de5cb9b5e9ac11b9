# Shared by the launcher's test scripts (source it): $work is a temporary
# directory removed on exit; `expect` runs one command line and checks its exit
# code and output, counting failures in $failures.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# expect NAME EXIT_CODE OUTPUT_SUBSTRING -- COMMAND...
expect() {
  local name=$1 code=$2 text=$3
  shift 4
  local out status
  out=$(timeout 20 "$@" 2>&1)
  status=$?
  if [[ $status -ne $code || "$out" != *"$text"* ]]; then
    echo "FAIL $name: expected exit $code and output containing '$text'; got exit $status and: $out"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}
