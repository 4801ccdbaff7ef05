//! Helpers shared by the fuzz targets (`#[path]`-included, not a target).

/// The pieces of `data` between occurrences of `sep` (a transcript of
/// packets, for the sans-I/O clients).
#[allow(dead_code)] // not every target replays packets
pub fn split<'a>(data: &'a [u8], sep: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(sep.len()).position(|w| w == sep) {
            Some(i) => {
                rest = Some(&r[i + sep.len()..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// What any volume reader's result must satisfy: a found source has a
/// volume, a label that names a kind names the one found, and no seed file
/// is longer than `max_file` (the reader's cap, or what the image can hold).
#[allow(dead_code)] // not every target reads volumes
pub fn check_volume(
    vol: Option<cloudseed::seed::Volume>,
    found: Option<cloudseed::seed::Found>,
    max_file: u64,
) {
    let Some(f) = found else { return };
    let v = vol.expect("a found source has a volume");
    // The label shown is the root-directory one when present; the kind may
    // come from the boot-sector copy (blkid LABEL_FATBOOT).
    if let Some(k) = cloudseed::seed::Kind::from_label(&v.label) {
        assert_eq!(k, f.kind);
    }
    if let Some(s) = f.seed {
        for file in [
            Some(&s.meta_data),
            Some(&s.user_data),
            s.vendor_data.as_ref(),
            s.network_config.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            assert!(file.len() as u64 <= max_file);
        }
    }
}
