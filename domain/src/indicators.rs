//! The QĐ 766/QĐ-TTg indicators (Bộ chỉ số chỉ đạo, điều hành và đánh giá
//! chất lượng phục vụ người dân, doanh nghiệp trong thực hiện thủ tục hành
//! chính, dịch vụ công theo thời gian thực trên môi trường điện tử), the
//! groups the log holds the data for, each scored out of its points.
//!
//! Where a group has nothing to judge (no file due, none received, no
//! payment, no rating) it scores its full points, as the progress group
//! always has here: an office is not marked down for work it did not have.
//!
//! | group | points | formula here | source |
//! |---|---|---|---|
//! | processing progress (tiến độ giải quyết) | 20 | 20 × (resolved early + on time) / (resolved + in progress past due) | QĐ 766 Phụ lục, group 2; confirmed |
//! | online service (dịch vụ trực tuyến) | 12 | 12 × received online / received | our reading of group 3 (the share of files filed online); the split of its points between "procedures with online files" and "online files" is not confirmed |
//! | online payment (thanh toán trực tuyến) | 10 | 10 × payments made online / payments | our reading of group 4; not confirmed |
//! | digitization (số hóa hồ sơ) | 22 | 10 × files digitized / received + 6 × results issued electronically / resolved + 6 × files reusing digitized data / received | our reading of group 6 and of its three parts' weights; not confirmed |
//! | satisfaction (mức độ hài lòng) | 18 | 18 × ratings of 4 or 5 / ratings | our reading of group 5 (the applicants' ratings only; complaints and their handling are not in the log); not confirmed |
//! | disclosure (công khai, minh bạch) | 18 | not measured | its parts (procedures published on time on the national database, dossiers' status synced to the portal) are outside the case log |
//!
//! A file counts as digitized when its components are electronic: every file
//! received online, and a file received at the desk or by post from its first
//! component digitized there or taken from a data store; as reusing data from
//! its first component reused from the applicant's data store or a national
//! database (for a file from the portal, its delivered components count at
//! receipt).

/// What the indicators are computed from: a report row's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndicatorCounts {
    pub received_online: i64,
    pub received_total: i64,
    pub resolved_early: i64,
    pub resolved_on_time: i64,
    pub resolved_total: i64,
    pub in_progress_overdue: i64,
    pub digitized: i64,
    pub reused: i64,
    pub electronic_results: i64,
    pub payments: i64,
    pub payments_online: i64,
    pub ratings: i64,
    pub ratings_satisfied: i64,
}

/// The scores, each out of its group's points, to two decimals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Indicators {
    /// Out of 20.
    pub progress: f64,
    /// Out of 12.
    pub online: f64,
    /// Out of 10.
    pub payment: f64,
    /// Out of 22.
    pub digitization: f64,
    /// Out of 18.
    pub satisfaction: f64,
}

/// `points` × `part` / `whole`, the full points when `whole` is 0.
fn share(points: f64, part: i64, whole: i64) -> f64 {
    if whole <= 0 { points } else { points * part as f64 / whole as f64 }
}

fn two_decimals(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

impl IndicatorCounts {
    /// The QĐ 766 groups' scores.
    pub fn indicators(&self) -> Indicators {
        Indicators {
            progress: two_decimals(share(
                20.0,
                self.resolved_early + self.resolved_on_time,
                self.resolved_total + self.in_progress_overdue,
            )),
            online: two_decimals(share(12.0, self.received_online, self.received_total)),
            payment: two_decimals(share(10.0, self.payments_online, self.payments)),
            digitization: two_decimals(
                share(10.0, self.digitized, self.received_total)
                    + share(6.0, self.electronic_results, self.resolved_total)
                    + share(6.0, self.reused, self.received_total),
            ),
            satisfaction: two_decimals(share(18.0, self.ratings_satisfied, self.ratings)),
        }
    }
}

/// The on-time rate (tỷ lệ giải quyết đúng hạn) in percent: the files
/// resolved before or on their due date's day among those resolved; none when
/// none was resolved. Returned and withdrawn files are not resolutions and
/// are left out of both.
pub fn on_time_percent(early: i64, on_time: i64, resolved: i64) -> Option<f64> {
    (resolved > 0).then(|| two_decimals(100.0 * (early + on_time) as f64 / resolved as f64))
}

/// Whether a rating (1–5) counts as satisfied (hài lòng, rất hài lòng).
pub fn is_satisfied(score: u8) -> bool {
    score >= 4
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_on_time_rate_counts_early_and_on_time_among_the_resolved() {
        assert_eq!(super::on_time_percent(1, 2, 4), Some(75.0));
        assert_eq!(super::on_time_percent(0, 0, 3), Some(0.0));
        assert_eq!(super::on_time_percent(1, 0, 3), Some(33.33));
        assert_eq!(super::on_time_percent(0, 0, 0), None);
    }

    use super::*;

    #[test]
    fn each_group_scores_its_share_of_its_points_and_the_full_points_with_nothing_to_judge() {
        assert_eq!(
            IndicatorCounts::default().indicators(),
            Indicators { progress: 20.0, online: 12.0, payment: 10.0, digitization: 22.0, satisfaction: 18.0 }
        );
        let counts = IndicatorCounts {
            received_online: 1,
            received_total: 4,
            resolved_early: 1,
            resolved_on_time: 2,
            resolved_total: 4,
            in_progress_overdue: 1,
            digitized: 2,
            reused: 1,
            electronic_results: 2,
            payments: 3,
            payments_online: 1,
            ratings: 5,
            ratings_satisfied: 4,
        };
        let scores = counts.indicators();
        assert_eq!(scores.progress, 12.0); // 20 × 3 / 5
        assert_eq!(scores.online, 3.0); // 12 × 1 / 4
        assert_eq!(scores.payment, 3.33); // 10 × 1 / 3
        assert_eq!(scores.digitization, 9.5); // 10 × 2/4 + 6 × 2/4 + 6 × 1/4
        assert_eq!(scores.satisfaction, 14.4); // 18 × 4 / 5
    }

    #[test]
    fn four_and_five_are_satisfied() {
        assert!(!is_satisfied(3));
        assert!(is_satisfied(4));
        assert!(is_satisfied(5));
    }
}
