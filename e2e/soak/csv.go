package soak

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
)

// WriteCSV writes samples to path, one row per sample: elapsed_s,
// second_instance (1 while a second instance shared the group), then each
// series by its name.
func WriteCSV(path string, samples []Sample) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("samples CSV: %w", err)
	}
	w := csv.NewWriter(f)
	header := []string{"elapsed_s", "second_instance"}
	header = append(header, seriesNames[:]...)
	rows := [][]string{header}
	for _, s := range samples {
		paired := "0"
		if s.Paired {
			paired = "1"
		}
		row := []string{strconv.FormatFloat(s.Elapsed.Seconds(), 'f', 1, 64), paired}
		for _, v := range s.Values {
			row = append(row, strconv.FormatFloat(v, 'f', -1, 64))
		}
		rows = append(rows, row)
	}
	if err := w.WriteAll(rows); err != nil {
		_ = f.Close() // the write's error is the one to report
		return fmt.Errorf("samples CSV %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("samples CSV %s: %w", path, err)
	}
	return nil
}
