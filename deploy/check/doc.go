// Package check holds the tests that validate the deployment files of
// tencent_live_exporter with the real schemas and tools they are meant for.
package check
