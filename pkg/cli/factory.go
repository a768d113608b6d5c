package cli

// NewFactory returns the Factory the real binary uses.
func NewFactory(ios *IOStreams) *Factory {
	return &Factory{IO: ios, Global: &GlobalOptions{}, NewResolver: defaultResolver, Now: timeNow}
}
