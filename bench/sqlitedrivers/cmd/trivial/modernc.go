//go:build modernc || !(mattn || ncruces)

package main

import _ "modernc.org/sqlite"

const driverName, label = "sqlite", "modernc"
