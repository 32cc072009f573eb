// Package archtest holds tests of the project's architecture: the import
// rules of DESIGN.md §6 and the documentation conventions of STYLE.md. It has
// no code of its own.
package archtest
