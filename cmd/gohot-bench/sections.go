package main

import (
	"bufio"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// sectionStat is what the loaded plugins hold resident of one ELF section,
// summed over plugins, in bytes.
type sectionStat struct {
	Size     int64 `json:"size"`
	Resident int64 `json:"resident"`
	Anon     int64 `json:"anon"`
}

// pagemap bits (Documentation/admin-guide/mm/pagemap.rst): bit 63 says the
// page is present, bit 61 that it is a file page (or shared anonymous), bit
// 56 that only this process maps it. All are readable without privileges;
// the frame numbers are not needed. A present page that is neither a file
// page nor exclusive is the shared zero page (bss the GC has read): it
// costs no memory, and smaps does not count it either.
const (
	pagePresent   = 1 << 63
	pageFile      = 1 << 61
	pageExclusive = 1 << 56
)

// sectionsResident reads /proc/self/pagemap for every page of every
// allocated section of the loaded plugins. Unlike smaps, which sums whole
// mappings, it says which tables the load touched: the dynamic linker's
// symbol and relocation tables, the relocated type data, the runtime's
// function tables. A page shared by two sections counts for both.
func sectionsResident(sos []string) (map[string]sectionStat, error) {
	bases, err := mappedBases()
	if err != nil {
		return nil, err
	}
	pm, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return nil, err
	}
	defer pm.Close()
	page := uint64(os.Getpagesize())
	stats := map[string]sectionStat{}
	for _, so := range sos {
		base, ok := bases[so]
		if !ok {
			return nil, fmt.Errorf("%s is not mapped in this process", so)
		}
		f, err := elf.Open(so)
		if err != nil {
			return nil, err
		}
		for _, s := range f.Sections {
			if s.Flags&elf.SHF_ALLOC == 0 || s.Size == 0 {
				continue
			}
			st := stats[s.Name]
			st.Size += int64(s.Size)
			start, end := (base+s.Addr)&^(page-1), (base+s.Addr+s.Size+page-1)&^(page-1)
			entries := make([]byte, (end-start)/page*8)
			if _, err := pm.ReadAt(entries, int64(start/page*8)); err != nil {
				f.Close()
				return nil, fmt.Errorf("pagemap of %s %s: %w", so, s.Name, err)
			}
			for i := 0; i < len(entries); i += 8 {
				e := binary.LittleEndian.Uint64(entries[i:])
				switch {
				case e&pagePresent == 0:
				case e&pageFile != 0:
					st.Resident += int64(page)
				case e&pageExclusive != 0:
					st.Resident += int64(page)
					st.Anon += int64(page)
				}
			}
			stats[s.Name] = st
		}
		f.Close()
	}
	return stats, nil
}

// mappedBases returns the load address of every file mapped at offset 0,
// which is where a shared object's first segment (vaddr 0) lands.
func mappedBases() (map[string]uint64, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bases := map[string]uint64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) < 6 || fl[2] != "00000000" {
			continue
		}
		if _, seen := bases[fl[5]]; seen {
			continue
		}
		start, err := strconv.ParseUint(strings.Split(fl[0], "-")[0], 16, 64)
		if err != nil {
			return nil, fmt.Errorf("/proc/self/maps: %w", err)
		}
		bases[fl[5]] = start
	}
	return bases, sc.Err()
}

// reportSections prints, per plugin, what each section holds resident
// (median across runs), largest first.
func reportSections(w *os.File, runs []map[string]sectionStat, n int) {
	if len(runs) == 0 || runs[0] == nil {
		return
	}
	fmt.Fprintf(w, "\nmemory by ELF section after %d loads, per plugin (median across runs; a page two sections share counts for both):\n\n", n)
	fmt.Fprintln(w, "| section | size | resident | anonymous |")
	fmt.Fprintln(w, "|---|---|---|---|")
	type row struct {
		name            string
		size, res, anon int64
	}
	var rows []row
	for name := range runs[0] {
		var size, res, anon []int64
		for _, r := range runs {
			size = append(size, r[name].Size)
			res = append(res, r[name].Resident)
			anon = append(anon, r[name].Anon)
		}
		rows = append(rows, row{name, medianInt(size), medianInt(res), medianInt(anon)})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].res != rows[j].res {
			return rows[i].res > rows[j].res
		}
		return rows[i].name < rows[j].name
	})
	var rest row
	for i, r := range rows {
		if i < 12 {
			fmt.Fprintf(w, "| %s | %.0f KiB | %.0f KiB | %.0f KiB |\n", r.name, kib(r.size, n), kib(r.res, n), kib(r.anon, n))
			continue
		}
		rest.size += r.size
		rest.res += r.res
		rest.anon += r.anon
	}
	if len(rows) > 12 {
		fmt.Fprintf(w, "| %d other sections | %.0f KiB | %.0f KiB | %.0f KiB |\n", len(rows)-12, kib(rest.size, n), kib(rest.res, n), kib(rest.anon, n))
	}
}

func kib(b int64, n int) float64 { return float64(b) / 1024 / float64(n) }
