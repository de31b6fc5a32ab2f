package dataset

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// csvEvent is one thing a table reader reports: a record with its line,
// a rejected row, an error or the end.
type csvEvent struct {
	line   int
	rec    string // fields joined by |
	reject string
	err    string
}

// referenceCSVEvents reads data the way csvTable did before its
// quote-free fast path: encoding/csv over the line cap, line numbers
// from FieldPos.
func referenceCSVEvents(data string) []csvEvent {
	capped := &lineCapReader{r: bufio.NewReaderSize(strings.NewReader(data), 1<<16), max: maxCSVLineBytes, cut: map[int]bool{}}
	cr := csv.NewReader(capped)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if _, err := cr.Read(); err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return []csvEvent{{err: "header: " + pe.Err.Error()}}
		}
		return []csvEvent{{err: "header: " + err.Error()}}
	}
	var evs []csvEvent
	lastErrLine := 0
	for len(evs) < 100 {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return append(evs, csvEvent{err: "EOF"})
		}
		var pe *csv.ParseError
		switch {
		case err == nil:
			line, _ := cr.FieldPos(0)
			ev := csvEvent{line: line, rec: strings.Join(rec, "|")}
			if capped.cut[line] {
				delete(capped.cut, line)
				ev.reject = "cut"
			} else {
				for i, f := range rec {
					if !utf8.ValidString(f) {
						rec[i] = strings.ToValidUTF8(f, "\uFFFD")
						ev.rec, ev.reject = strings.Join(rec, "|"), fmt.Sprintf("utf8 %d", i+1)
						break
					}
				}
			}
			evs = append(evs, ev)
		case errors.As(err, &pe):
			if pe.StartLine == lastErrLine {
				return append(evs, csvEvent{line: pe.StartLine, err: "repeated"})
			}
			lastErrLine = pe.StartLine
			evs = append(evs, csvEvent{line: pe.StartLine, rec: strings.Join(rec, "|"), reject: pe.Err.Error()})
		default:
			return append(evs, csvEvent{err: err.Error()})
		}
	}
	return evs
}

func tableCSVEvents(data string) []csvEvent {
	tab, err := newCSVTable(strings.NewReader(data), "t.csv", int64(len(data)))
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return []csvEvent{{err: "header: " + pe.Err.Error()}}
		}
		if errors.Is(err, io.EOF) || strings.Contains(err.Error(), "empty file") {
			return []csvEvent{{err: "header: EOF"}}
		}
		return []csvEvent{{err: err.Error()}}
	}
	defer tab.Close()
	var evs []csvEvent
	for len(evs) < 100 {
		rec, line, rowErr, err := tab.next()
		if errors.Is(err, io.EOF) {
			return append(evs, csvEvent{err: "EOF"})
		}
		if err != nil {
			return append(evs, csvEvent{line: line, err: "repeated"})
		}
		ev := csvEvent{line: line, rec: strings.Join(rec, "|")}
		if rowErr != nil {
			var pe *csv.ParseError
			switch {
			case strings.Contains(rowErr.Error(), "longer than"):
				ev.reject = "cut"
			case strings.Contains(rowErr.Error(), "UTF-8"):
				var col int
				fmt.Sscanf(rowErr.Error()[strings.Index(rowErr.Error(), "column "):], "column %d", &col)
				ev.reject = fmt.Sprintf("utf8 %d", col)
			case errors.As(rowErr, &pe):
				ev.reject = pe.Err.Error()
			default:
				ev.reject = strings.TrimPrefix(rowErr.Error(), errMalformedRow.Error()+": ")
			}
		}
		evs = append(evs, ev)
	}
	return evs
}

var csvTableCases = []string{
	"",
	"\n\n",
	"a,b\n",
	"a,b\n1,2\n3,4",
	"a,b\r\n1,2\r\n3,4\r",
	"a,b\n1,2\r\r\n\r\n\n3,\r4\n,\n,,\n",
	"\ufeffimage_id,class_name\nimg1,Cardiomegaly\n",
	"a,b\n\"q,1\",2\n3,4\n",
	"a,b\n\"multi\nline\",2\n3,4\n",
	"a,b\n1,\"unterminated\n2,3\n4,5\n",
	"a,b\n1,b\"are\n2,3\n",
	"a,b\n\"x\"y,1\n2,3\n",
	"a,b\n\"\"\"\",1\r\n\"a\r\nb\",2\r\n",
	"\"h,1\",h2\n1,2\n",
	"a,b\nimg\xff3,Nodule\nimg4,x\n",
	"a,b\n1,\"x\xff\"\n",
	"a,b\n1,2\n" + "img2," + strings.Repeat("x", maxCSVLineBytes+10) + "\n5,6\n",
	"a,b\n1,2\n" + "\"img2," + strings.Repeat("\"x", maxCSVLineBytes/2+10) + "\n5,\"6\n7\"\n",
}

// TestCSVTableMatchesEncodingCSV: the quote-free fast path gives the
// records, line numbers and rejects that encoding/csv gave before it.
func TestCSVTableMatchesEncodingCSV(t *testing.T) {
	for i, data := range csvTableCases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			want, got := referenceCSVEvents(data), tableCSVEvents(data)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("input %.80q\n got %.300v\nwant %.300v", data, got, want)
			}
		})
	}
}

func FuzzCSVTable(f *testing.F) {
	for _, data := range csvTableCases {
		if len(data) < 4096 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data string) {
		want, got := referenceCSVEvents(data), tableCSVEvents(data)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("input %q\n got %v\nwant %v", data, got, want)
		}
	})
}
