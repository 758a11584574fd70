#!/usr/bin/env bash
# Builds jitmem and runs the container demo; installs the prerequisites first when they are missing (Debian).
set -euo pipefail
cd "$(dirname "$0")"

.ci/prerequisites
mvn -B -ntp -DskipTests package
exec java -jar container/target/jitmem-container.jar demo
