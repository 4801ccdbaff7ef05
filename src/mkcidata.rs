//! `cloudseed mkcidata`: writes a FAT image labelled `cidata`, like `cloud-localds`.
