package maillog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
)

// maxLine bounds one log line; the rest of a longer line is skipped
// (Postfix's own limit, line_length_limit, is 2048 for SMTP; its log lines
// stay well under this).
const maxLine = 16 << 10

// Input is one log to read: its name for messages, and its bytes (plain
// or gzip, told apart by the magic bytes, RFC 1952 §2.3.1).
type Input struct {
	Name string
	R    io.Reader
}

// Read reads the inputs one after another, as rotated logs are read
// oldest first, and returns what they say per destination. It streams:
// memory is bounded by the caps of Options, not by the size of the logs.
// The error is an I/O or decompression error, with what was read so far
// summarised all the same; a cancelled ctx stops between lines.
func Read(ctx context.Context, inputs []Input, opt Options) (*Summary, error) {
	a := NewAggregator(opt)
	err := a.ReadAll(ctx, inputs)
	return a.Summary(), err
}

// ReadAll reads the inputs one after another into a; it stops at the
// first I/O error.
func (a *Aggregator) ReadAll(ctx context.Context, inputs []Input) error {
	for _, in := range inputs {
		if err := a.readOne(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

func (a *Aggregator) readOne(ctx context.Context, in Input) error {
	br := bufio.NewReaderSize(in.R, 64<<10)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", in.Name, err)
		}
		defer func() { _ = zr.Close() }()
		r = zr
	}
	lr := bufio.NewReaderSize(r, maxLine)
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		line, err := lr.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			a.Line(line)
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = lr.ReadSlice('\n')
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", in.Name, err)
			}
			continue
		}
		if len(line) > 0 {
			a.Line(line)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", in.Name, err)
		}
	}
}
